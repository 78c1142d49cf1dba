"""One run folder's files -> its runs and file problems: each file stat'ed, decoded (or found in
the cache), judged; `assemble.runs` builds the runs. Used by `reader.load` for every run folder.

Damage and the live-file rule: a bad file is reported and skipped; the good ones still load. A
file cut short (its last record incomplete) keeps its intact prefix and is reported as
truncated -- unless it is the newest file of its folder, was modified within
`Limits.live_seconds` (default 120 s), and its last intact event was written within
`Limits.live_gap_seconds` of that modification: then a writer is taken to be still at it (a live
training run) and the incomplete tail is ignored quietly. The wall-time check is what tells a
live file from an old truncated one that was just copied or unpacked (fresh mtime, old events).

Cache: a folder's result is kept in `CACHE` (`reader_cache.py`) for one version of the folder:
the (path, size, mtime) of every file, its config.json's stat, the overrides and which files
may be live; re-opening an unchanged folder costs the `stat` calls. A file that may be live is
decoded once and then only in the bytes appended since (`live.py`), so following a large run
while it trains stays cheap. Cached frames are shared: treat them as read-only.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from diagnostics import assemble, live, tag_names
from diagnostics.assemble import File as _File
from diagnostics.files import NotRegular, open_regular
from diagnostics.messages import Msg
from diagnostics.reader_cache import FolderCache
from diagnostics.records import FileEvents, ReaderError, decode
from diagnostics.rundata import FileProblem

CACHE = FolderCache()  # (names, folder, overrides) -> (its runs, file problems)


def _stat(path: Path | str) -> tuple[int, int]:
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return -1, -1


def read(names, run_dir, files, overrides, limits, live, cache):
    """The runs of one run folder (most often one) and its file problems, cached. `names`: (run
    name, how the folder is shown, run-number separator); `files`: in time order."""
    stats = [_stat(f.path) for f in files]
    now = time.time_ns()
    newest = {f.path.parent: i for i, f in enumerate(files)}  # the last file of each folder
    is_live = tuple(
        live and newest[f.path.parent] == i and now - st[1] < limits.live_seconds * 1e9
        for i, (f, st) in enumerate(zip(files, stats))
    )
    folder = (names, str(run_dir), tuple(sorted((overrides or {}).items())))
    version = (tuple((str(f.path), f.shown, f.side) for f in files), tuple(stats), is_live,
               _stat(os.path.join(run_dir, "config.json")))
    value = CACHE.get(folder, version) if cache else None
    if value is None:
        parsed, errors = _read_files(files, stats, is_live, limits, cache)
        value = (assemble.runs(names, run_dir, parsed, errors, overrides) if parsed else [], errors)
        if cache:
            CACHE.put(folder, version, value, sum(len(r.scalars) + len(r.histograms) for r in value[0]))
    return value


def _read_files(files, stats, is_live, limits, cache):
    """([(file, events)] of the files read, each with its tag prefix settled; the problems of
    every file)."""
    parsed: list[tuple[_File, FileEvents]] = []
    errors: list[FileProblem] = []
    for f, (size, mtime_ns), is_live_file in zip(files, stats, is_live):
        fe, notes = _read_file(f, size, is_live_file and mtime_ns, limits, incremental=cache and is_live_file)
        errors.extend(FileProblem(f.shown, n) for n in notes)
        if fe is not None:
            side = f.side or ("eval/" if any(t.startswith(tag_names.EVAL_FILE_MARKERS) for t in fe.scalar_tags) else "")
            parsed.append((_File(f.path, f.shown, side), fe))
    return parsed, errors


def _read_file(f: _File, size: int, live_mtime_ns: int, limits, *,
               incremental: bool = False) -> tuple[FileEvents | None, list[str]]:
    """(events or None when the file is skipped, problems). `live_mtime_ns`: the mtime of a
    file that may still be written (recent, newest of its folder), else 0. `incremental`:
    decode only what was appended since the last read of this file (`live.grown`)."""
    if f.path.name.endswith(".profile-empty"):
        return None, [Msg("file.profiler_marker")]
    try:
        fe = live.grown(f.path, f.shown, size) if incremental else None
        if fe is None:
            with open_regular(f.path) as fh:
                data = fh.read(max(size, 0))  # only what was stat'ed: a live file may grow meanwhile
            fe = decode(data, f.shown)
        if incremental:
            live.remember(f.path, size, fe)
    except ReaderError as err:
        return None, [err.problem]
    except NotRegular as err:
        return None, [Msg("file.not_regular", kind=err.kind)]
    except OSError as err:
        return None, [Msg("file.cannot_read", why=err.strerror or type(err).__name__)]
    notes = list(fe.problems)
    # NaN (no wall time to judge by) compares False: such a file is not taken to be live
    is_live = bool(live_mtime_ns) and live_mtime_ns / 1e9 - fe.last_wall_time < limits.live_gap_seconds
    if fe.tail and not is_live:
        notes.append(Msg("file.truncated", tail=fe.tail, n=fe.events))
    if fe.events == 0:
        if fe.tail and not is_live:
            return None, notes
        what = "file.header_only" if fe.has_header else "file.no_events"
        return None, notes + [Msg(what + ("_live" if is_live else ""))]
    if not fe.has_header and not fe.problems:
        notes.append(Msg("file.no_header", step=fe.first_step))
    return fe, notes
