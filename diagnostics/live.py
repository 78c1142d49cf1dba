"""Files still being written: decoded once, then only in the bytes appended since.

A followed 50 MB live log then costs the appended records, not a full parse, per look. One
entry per live file (the reader keeps the newest file of a folder changed in the last
`Limits.live_seconds`), at most `_MAX` of them. Cached events are shared: treat as read-only.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from diagnostics.files import open_regular
from diagnostics.records import FileEvents, extend

_GUARD = 16  # bytes before the resume point that must be unchanged: the file was appended to
_MAX = 32
_files: OrderedDict[str, tuple[int, int, bytes, FileEvents]] = OrderedDict()  # path -> ino, size, guard, events
_lock = threading.Lock()


def clear() -> None:
    with _lock:
        _files.clear()


def grown(path: Path, shown: str, size: int) -> FileEvents | None:
    """The file's events from its last read plus what was appended since; None: read it all."""
    with _lock:
        entry = _files.get(str(path))
    if entry is None:
        return None
    ino, old_size, guard, prev = entry
    start = prev.resume_at
    if start is None or size < old_size:
        return None
    with open_regular(path) as fh:
        if os.fstat(fh.fileno()).st_ino != ino:
            return None
        fh.seek(max(0, start - _GUARD))
        data = fh.read(size - max(0, start - _GUARD))
    if data[: min(_GUARD, start)] != guard:
        return None  # rewritten, not appended to
    appended = data[min(_GUARD, start):]
    if not appended:
        return prev
    return extend(prev, appended, shown)


def remember(path: Path, size: int, fe: FileEvents) -> None:
    if fe.resume_at is None:
        return
    with open_regular(path) as fh:
        ino = os.fstat(fh.fileno()).st_ino
        fh.seek(max(0, fe.resume_at - _GUARD))
        guard = fh.read(min(_GUARD, fe.resume_at))
    with _lock:
        _files[str(path)] = (ino, size, guard, fe)
        _files.move_to_end(str(path))
        while len(_files) > _MAX:
            _files.popitem(last=False)
