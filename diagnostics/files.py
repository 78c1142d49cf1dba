"""Opening files that someone else made: only regular files, never blocking, names made printable.

A FIFO, socket or device can carry any name (`events.out.tfevents.1.h`, `config.json`): opening
a FIFO for reading blocks until a writer comes, a device can read forever. So files are opened
non-blocking and checked with `fstat` on the open descriptor (no window between the check and
the read), and at most the bytes asked for are read.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from diagnostics.messages import Msg

_KINDS = ((stat.S_ISFIFO, "kind.fifo"), (stat.S_ISSOCK, "kind.socket"), (stat.S_ISCHR, "kind.char_device"),
          (stat.S_ISBLK, "kind.block_device"), (stat.S_ISDIR, "kind.folder"), (stat.S_ISLNK, "kind.symlink"))


class NotRegular(OSError):
    """The path is there but is no regular file; `kind` says what it is ("a FIFO", ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(Msg("file.not_regular_open", kind=kind))


def kind(mode: int) -> Msg:
    """What a non-regular file is, in words ("a FIFO", ...; a message: `messages.render`)."""
    return Msg(next((key for test, key in _KINDS if test(mode)), "kind.other"))


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """`open(path, "rb")` that refuses (NotRegular) anything but a regular file, without
    blocking on a FIFO and without a gap between the check and the open."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(kind(mode))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike, size: int) -> bytes:
    """At most `size` bytes from the start of a regular file (NotRegular otherwise)."""
    with open_regular(path) as fh:
        return fh.read(size)


def shown(text: str | os.PathLike) -> str:
    """A file name made safe to print on one line: bytes that are not UTF-8 (kept by Python as
    lone surrogates) shown as \\xNN, control characters escaped."""
    text = os.fspath(text) if isinstance(text, Path) else str(text)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        raw = text.encode("utf-8", "surrogatepass")
    out = raw.decode("utf-8", "backslashreplace")
    if out.isprintable():
        return out
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in out)
