"""Keeping reads and writes inside a runs root whose contents someone else may have written.

Trust model: a runs root is shared storage. Every file in it (job files, `lineage.json`,
`status.json`, `repair.json`, logs) and every name in it (a symlink, a directory where a file
should be, a FIFO) may have been put there by someone else, so none of it is an instruction. A
path read from such a file is used only after `confined()` has resolved it, following every
symlink and `..`, and found it inside an allowed root (the runs root, and for parents of re-runs
the bundled sample runs, which ship with the code). Files are then opened with `open_file()`:
no final symlink is followed, only regular files are read, and at most a few megabytes, so a
planted link, a FIFO or a huge file can neither leak another file nor hang or flood the app.
"""
from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from diagnostics.messages import Msg

REPO = Path(__file__).resolve().parents[1]
BUNDLED_SAMPLES = REPO / "sample_runs"  # read-only example runs: allowed parents of re-runs
READ_LIMIT = 4 * 1024 * 1024  # bytes: more than any job, status or lineage file we write


class OutsideRoot(ValueError):
    """A path named by data lies outside every allowed root (its one argument: a `Msg`, one line)."""


def confined(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> Path:
    """`path` resolved (symlinks and `..` followed); OutsideRoot unless inside one of `roots`."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str) or "\0" in text or not text or len(text) > 4096:
        raise OutsideRoot(Msg("confine.unusable"))
    if not Path(text).is_absolute():
        raise OutsideRoot(Msg("confine.not_absolute", path=repr(text)))
    try:
        resolved = Path(text).resolve()
        allowed = [Path(r).resolve() for r in roots]
    except (OSError, RuntimeError, ValueError) as e:  # a symlink loop, a name too long
        raise OutsideRoot(Msg("confine.unresolvable", path=repr(text), why=type(e).__name__)) from None
    if any(resolved == r or resolved.is_relative_to(r) for r in allowed):
        return resolved
    raise OutsideRoot(Msg("confine.outside", path=repr(text), root=str(allowed[0])) if allowed
                      else Msg("confine.outside_all", path=repr(text)))


def is_inside(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> bool:
    try:
        confined(path, roots)
    except OutsideRoot:
        return False
    return True


def open_file(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """os.open that never follows a final symlink, never blocks on a FIFO and refuses anything
    but a regular file (OSError). The caller closes the descriptor."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(f"{os.fspath(path)}: not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike[str], limit: int = READ_LIMIT, *,
               tail: bool = False) -> bytes | None:
    """A regular file's first (or, with `tail`, last) `limit` bytes; None if it cannot be read."""
    try:
        fd = open_file(path)
    except OSError:
        return None
    try:
        if tail:
            os.lseek(fd, max(0, os.fstat(fd).st_size - limit), os.SEEK_SET)
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_json(path: str | os.PathLike[str], limit: int = READ_LIMIT) -> dict[str, Any] | None:
    """A JSON object from a regular file of at most `limit` bytes; None for anything else."""
    data = read_bytes(path, limit + 1)
    if data is None or len(data) > limit:
        return None
    try:
        value = parse_json(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_json(data: bytes) -> Any:
    """JSON from bytes, ValueError unless it is valid UTF-8 JSON whose texts are valid Unicode
    ("\\ud800" escapes decode to lone surrogates, which no page can send to a browser)."""
    try:
        value = json.loads(data.decode("utf-8"))
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:  # "[[[[..." nested past the stack
        raise ValueError("nested too deeply") from None
    except UnicodeError as e:
        raise ValueError(f"not valid Unicode text ({e.reason})") from None
    return value


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` in one step. The temporary name is random and created
    exclusively, so a link planted in advance cannot redirect the write; os.replace swaps the
    name itself, so a symlink at `path` is replaced, never followed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


SCAN_LIMIT = 2000  # folders looked at in a run folder before a job starts into it


def check_run_folder(run_dir: str, root: str) -> None:
    """Refuse to start into a folder that left the root or holds a symlink since the entry
    was checked: our trainer would write through it."""
    folder = confined(run_dir, [root])
    if not folder.exists():
        return
    if os.path.islink(run_dir) or not folder.is_dir():
        raise OutsideRoot(Msg("confine.not_folder", path=str(run_dir)))
    for n, (here, dirs, files) in enumerate(os.walk(folder)):
        for name in dirs + files:
            if os.path.islink(os.path.join(here, name)):
                rel = os.path.relpath(os.path.join(here, name), folder)
                raise OutsideRoot(Msg("confine.symlink", rel=rel))
        if n > SCAN_LIMIT:
            raise OutsideRoot(Msg("confine.too_many"))
