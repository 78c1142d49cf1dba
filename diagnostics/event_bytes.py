"""A whole event file's bytes for `records.decode`: read, or mapped where that is safe and pays.

    with event_bytes.whole(path, size, settled=True) as data:   # bytes, or a read-only mmap
        fe = records.decode(data, shown)

Reading copies the file into fresh memory: for a 458 MB file of histograms that is 0.35 s of CPU
(most of it the kernel handing out and zeroing 110,000 pages), about what the rest of the
decode costs. Mapping it shares the kernel's cached pages instead (0.04 s). Only large files
(`MAP_BYTES`) that were not changed for `SETTLED_SECONDS` and that the caller does not take to be
live are mapped, and only on Linux, every page read in at once (MADV_POPULATE_READ): a read error
is then an OSError there (the file is read instead), not a SIGBUS later. What a map cannot rule
out: someone truncating the file in place (`cp` over it truncates first) in the second it is
decoded; that is a SIGBUS, which kills the process: in the app, the server. So mapping is OFF
(`MAP_BYTES = None`): the reader stays a plain read (~0.3 s more on 458 MB of histograms) until
the fault can be turned into a clean error. Set `MAP_BYTES` to a size to map files that large.
The map is closed once decoded: the decoded columns are copies, never views of it.
"""
from __future__ import annotations

import contextlib
import mmap
import os
import sys
import time
from collections.abc import Iterator

from diagnostics.files import open_regular

MAP_BYTES: int | None = None  # off (see above); when on, 64 << 20 pays: a copy of 64 MiB costs ~50 ms
SETTLED_SECONDS = 120.0  # unchanged this long: no writer is at it (`reader.Limits.live_seconds`)
_MADV_POPULATE_READ = 22  # Linux 5.14+; not in Python 3.11's mmap module


@contextlib.contextmanager
def whole(path: str | os.PathLike, size: int, *, settled: bool) -> Iterator[bytes | mmap.mmap]:
    """The first `size` bytes of a regular file (`files.open_regular`; only what was stat'ed: a
    live file may grow meanwhile). `settled`: the caller takes it not to be live."""
    with open_regular(path) as fh:
        mapped = _mapped(fh.fileno(), size) if settled and MAP_BYTES is not None and size >= MAP_BYTES else None
        data = fh.read(max(size, 0)) if mapped is None else mapped
    try:
        yield data
    finally:
        if mapped is not None:
            with contextlib.suppress(BufferError):  # a view still held: unmapped once it goes
                mapped.close()


def _mapped(fd: int, size: int) -> mmap.mmap | None:
    if not sys.platform.startswith("linux"):
        return None
    st = os.fstat(fd)
    if st.st_size < size or time.time() - st.st_mtime < SETTLED_SECONDS:
        return None
    try:
        data = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    except (OSError, ValueError):
        return None
    try:
        data.madvise(_MADV_POPULATE_READ)
    except OSError:  # an older kernel, or a page that cannot be read: read the file instead
        data.close()
        return None
    return data
