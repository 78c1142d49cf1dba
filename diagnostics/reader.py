"""Logdir, single event file, or uploaded archive -> one `RunData` per run.

    result = load("runs/")                  # LoadResult(runs=[RunData...], errors=[FileProblem...])
    result = load_uploads([("logs.zip", data)])

What is a run. A run folder is every folder holding event files (names containing
"tfevents"), named by its path relative to the root ("." -> the root folder's own name).
Sibling split folders are ONE run folder, their parent: `train/`+`validation/` (Keras),
`train/`+`eval/` (Trax, TF OD API), or a folder with events plus an `eval/` child
(tf.estimator). Tags from the validation side get the folder's name as prefix
(`validation/epoch_loss`, `eval/loss`) so `tags.py` maps them to `val/*`. A folder named
validation/valid/val/eval/evaluation is a validation side even alone (its tags are prefixed
too); `test/` only next to a train side or inside a run.

A run folder holds one run, or several when a writer's step counter started over there (a
script started twice into one logdir, a re-created HF `Trainer`, two Keras `fit()` calls):
`sessions.split` groups its files, each one writer session, into runs. A file whose steps carry
on the run (a resume from a checkpoint, even one that re-logs some steps) stays in it; one that
starts back at the beginning starts a new run; a file of other tags (the validation side, hparams,
a graph) goes with the run it was written alongside. A folder of several runs gives one
`RunData` per run, named "<folder>#1", "<folder>#2", ... in time order, each with `part` saying
so (and `path` still the folder); a folder of one run keeps its plain name.

Every event is kept. Files of a run are read in order of the timestamp in their names; steps
that go back within a run (a resume that re-logs) are kept as rows (`RunData.scalar` takes
the last write).

Damage and the live-file rule: a bad file is reported in `errors` and skipped; the good ones
still load. A file cut short (its last record incomplete) keeps its intact prefix and is
reported as truncated -- unless it is the newest file of its folder, was modified within
`Limits.live_seconds` (default 120 s), and its last intact event was written within
`Limits.live_gap_seconds` of that modification: then a writer is taken to be still at it (a live
training run) and the incomplete tail is ignored quietly. The wall-time check is what tells a
live file from an old truncated one that was just copied or unpacked (fresh mtime, old
events). Uploads are never live.

Hostile input: finding files is `discover.py` (a bounded walk: only regular files, each file
once, undecodable names escaped, unlistable folders reported); bytes are `framing.py` and
`records.py` (linear cost, bounded working memory, malformed records and summaries skipped);
building runs is `assemble.py`. Whatever a file or folder holds, the answer is runs plus
one-line problems, or one ReaderError for the whole input -- never another exception.

Cache: each run folder's result (its runs) is kept in an in-process LRU keyed by (path, size,
mtime) of every file in it (plus config.json, the overrides and the live state), one version per folder,
so re-opening an unchanged logdir costs only the `stat` calls. A file that may be live is
decoded once and then only in the bytes appended since (`live.py`), so following a
large run while it trains stays cheap. Cached frames are shared: treat them as
read-only. `clear_cache()` empties it. Uploads are not cached.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from diagnostics import archives, assemble, discover, live, tags
from diagnostics.assemble import File as _File
from diagnostics.files import NotRegular, kind, open_regular, shown
from diagnostics.records import FileEvents, ReaderError, decode
from diagnostics.rundata import FileProblem, RunData

__all__ = ["Limits", "LoadResult", "ReaderError", "load", "load_uploads", "clear_cache"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what the reader accepts; past them the whole input is refused."""

    max_bytes: int = 2 * 1024**3  # event bytes read from a folder; bytes an archive may expand to
    max_files: int = 10_000  # event files in a folder; members of an archive
    max_ratio: int = archives.MAX_RATIO  # an archive expands to at most this x its size (past a floor)
    max_depth: int = 64  # folder levels searched below the root
    live_seconds: float = 120.0  # a folder's newest file changed this recently may still grow
    live_gap_seconds: float = 3600.0  # ...if its last event is this close to that change


@dataclass
class LoadResult:
    runs: list[RunData] = field(default_factory=list)
    errors: list[FileProblem] = field(default_factory=list)  # skipped files and partial reads


_STAMP = re.compile(r"tfevents\.(\d+)")
_CACHE_MAX_ROWS = 20_000_000
_cache: OrderedDict[tuple, tuple[list[RunData], list[FileProblem]]] = OrderedDict()
_cache_rows: dict[tuple, int] = {}
_cache_folders: dict[tuple, tuple] = {}  # (name, folder, overrides) -> its one key in _cache
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _cache_rows.clear()
        _cache_folders.clear()
    live.clear()


# ---- public entry points ---------------------------------------------------------------------


def load(
    path: str | os.PathLike,
    *,
    tag_overrides: Mapping[str, str | None] | None = None,
    limits: Limits = Limits(),
) -> LoadResult:
    """Read a logdir (recursively), a single event file, or an archive on disk.

    Raises ReaderError only when the input as a whole is refused (missing, too many files,
    too large, an unsafe archive); problems with single files go to `errors`."""
    if not os.fspath(path):
        raise ReaderError("''", "no path given (an empty path would mean the current folder)")
    root = Path(path)
    try:
        mode = root.stat().st_mode
    except OSError as err:
        if root.is_symlink() or not isinstance(err, FileNotFoundError):
            raise ReaderError(shown(path), f"cannot read: {err.strerror or type(err).__name__}") from None
        raise ReaderError(shown(path), "no such file or folder") from None
    if stat.S_ISREG(mode) and archives.is_archive(root.name):
        with tempfile.TemporaryDirectory(prefix="run-doctor-") as tmp:
            dest = Path(tmp) / archives.stem(root.name)
            archives.extract(root.name, root, dest, max_bytes=limits.max_bytes, max_files=limits.max_files,
                             max_ratio=limits.max_ratio)
            return _detached(_load_tree(dest, shown(archives.stem(root.name)), tag_overrides, limits, live=False,
                                        cache=False))
    if stat.S_ISREG(mode):
        if root.stat().st_size > limits.max_bytes:
            raise ReaderError(shown(path), f"event files exceed {limits.max_bytes} bytes (Limits.max_bytes)")
        folder = root.resolve().parent
        file = _File(root.resolve(), f"{shown(folder.name)}/{shown(root.name)}", _lone_side(folder.name))
        name = shown(folder.name)
        return _collect({folder: [file]}, {folder: (name, name)}, [], tag_overrides, limits, True, True)
    if not stat.S_ISDIR(mode):
        raise ReaderError(shown(path), f"not a folder, an event file or an archive ({kind(mode)})")
    return _load_tree(root.resolve(), shown(root.resolve().name), tag_overrides, limits, live=True)


def load_uploads(
    files: list[tuple[str, bytes]],
    *,
    tag_overrides: Mapping[str, str | None] | None = None,
    limits: Limits = Limits(),
) -> LoadResult:
    """Read uploaded archives and/or event files (name, bytes). Names may carry a relative
    folder path (checked like archive members). Loose event files form one run, "upload";
    one archive alone is named after itself. Written to a private temp folder, read, removed."""
    with tempfile.TemporaryDirectory(prefix="run-doctor-upload-") as tmp:
        dest = Path(tmp)
        archives.write_uploads(files, dest, max_bytes=limits.max_bytes, max_files=limits.max_files,
                               max_ratio=limits.max_ratio)
        if len(files) == 1 and archives.is_archive(files[0][0]):
            dest, name = dest / archives.stem(files[0][0]), shown(archives.stem(files[0][0]))
        else:
            name = "upload"
        return _detached(_load_tree(dest, name, tag_overrides, limits, live=False, cache=False))


def _detached(result: LoadResult) -> LoadResult:
    """Runs read from a temp folder that is about to go: no path on disk to point at."""
    result.runs = [replace(r, path="") for r in result.runs]
    return result


# ---- finding runs ------------------------------------------------------------------------------


def _side(name: str) -> str | None:
    low = name.lower()
    if low in tags.VAL_SPLITS or low in tags.TEST_SPLITS:
        return "val"
    return "train" if low in tags.TRAIN_SPLITS else None


def _lone_side(name: str) -> str:
    """Tag prefix for a validation folder read on its own (not `test`: a common run name)."""
    return f"{shown(name)}/" if name.lower() in tags.VAL_SPLITS else ""


def _load_tree(root: Path, root_name: str, overrides, limits: Limits, *, live: bool,
               cache: bool = True) -> LoadResult:
    folders, problems = discover.event_files(root, root_name, limits)
    sides: dict[Path, list[str | None]] = {}  # folder -> the sides of its folders with event files
    for folder in folders:
        sides.setdefault(folder.parent, []).append(_side(folder.name))
    groups: dict[Path, list[_File]] = {}
    for folder, names in folders.items():
        run_dir, prefix = _run_of(folder, root, folders, sides)
        rel = _rel(folder, root)
        for n in names:
            where = f"{root_name}/{shown(n)}" if rel == "." else f"{root_name}/{rel}/{shown(n)}"
            groups.setdefault(run_dir, []).append(_File(folder / n, where, prefix))
    names = {}  # run folder -> (run name, how its folder is shown in messages)
    for d in groups:
        rel = _rel(d, root)
        names[d] = (root_name, root_name) if rel == "." else (rel, f"{root_name}/{rel}")
    return _collect(groups, names, problems, overrides, limits, live, cache, root)


def _rel(folder: Path, root: Path) -> str:
    return shown(folder.relative_to(root).as_posix())


def _run_of(folder: Path, root: Path, folders: Mapping[Path, list[str]],
            sides: Mapping[Path, list[str | None]]) -> tuple[Path, str]:
    """(run folder, tag prefix) for a folder with event files: split folders join their parent."""
    side = _side(folder.name)
    if folder == root or side is None:
        return folder, _lone_side(folder.name) if folder == root else ""
    parent = folder.parent
    other = "val" if side == "train" else "train"
    if parent in folders or other in sides.get(parent, ()):
        return parent, f"{shown(folder.name)}/" if side == "val" else ""
    return folder, _lone_side(folder.name)


# ---- reading runs ------------------------------------------------------------------------------


def _order(f: _File) -> tuple:
    """Time order: the timestamp in the name, then the writer's counter after it compared as
    a number (files opened in the same second: "....pid.9" before "....pid.10")."""
    stamp = _STAMP.search(f.path.name)
    return (int(stamp.group(1)) if stamp else 0, _natural(f.path.name), f.shown)


def _natural(name: str) -> tuple:
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part) for part in re.split(r"(\d+)", name))


def _collect(groups, names, problems, overrides, limits, live, cache, root=None) -> LoadResult:
    result = LoadResult(errors=list(problems))
    numbered = _numbered({name for name, _ in names.values()})
    for run_dir in sorted(groups, key=lambda d: (d != root, names[d][0])):  # the root's own run first
        files = sorted(groups[run_dir], key=_order)
        named = (*names[run_dir], _part_separator(names[run_dir][0], numbered))
        runs, errs = _read_folder(named, run_dir, files, overrides, limits, live, cache)
        result.errors.extend(errs)
        result.runs.extend(runs)
    result.errors.sort(key=lambda p: p.file)
    return result


def _numbered(taken: set[str]) -> set[str]:
    """What comes before the number of each name that ends in one ("logs#" of "logs#2")."""
    return {name[: m.start()] for name in taken if (m := re.search(r"\d+$", name))}


def _part_separator(name: str, numbered: set[str]) -> str:
    """What joins a folder's name to its runs' numbers ("logs#2"): "#", or "##", ... when a
    folder of that name already exists (a real folder "logs#2" beside "logs")."""
    sep = "#"
    while name + sep in numbered:
        sep += "#"
    return sep


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    except OSError:
        return -1, -1


def _read_folder(names, run_dir, files, overrides, limits, live, cache):
    """The runs of one run folder (most often one) and its file problems, cached."""
    stats = [_stat(f.path) for f in files]
    now = time.time_ns()
    newest = {f.path.parent: i for i, f in enumerate(files)}  # the last file of each folder
    is_live = tuple(
        live and newest[f.path.parent] == i and now - st[1] < limits.live_seconds * 1e9
        for i, (f, st) in enumerate(zip(files, stats))
    )
    key = (names, str(run_dir), tuple((str(f.path), f.shown, f.side) for f in files), tuple(stats),
           is_live, _stat(run_dir / "config.json"), tuple(sorted((overrides or {}).items())))
    if cache:
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
    parsed, errors = _read_files(files, stats, is_live, limits, cache)
    value = (assemble.runs(names, run_dir, parsed, errors, overrides) if parsed else [], errors)
    if cache:
        _remember(key, value)
    return value


def _remember(key: tuple, value: tuple[list[RunData], list[FileProblem]]) -> None:
    folder = (key[0], key[1], key[-1])  # name, folder, overrides
    with _cache_lock:
        # One version per run folder: a run still training changes every few seconds, and
        # the versions it leaves behind would otherwise fill the cache with dead copies.
        old_key = _cache_folders.pop(folder, None)
        if old_key in _cache:
            del _cache[old_key]
            del _cache_rows[old_key]
        _cache_folders[folder] = key
        _cache[key] = value
        _cache_rows[key] = sum(len(r.scalars) + len(r.histograms) for r in value[0])
        total = sum(_cache_rows.values())
        while len(_cache) > 1 and (total > _CACHE_MAX_ROWS or len(_cache) > 256):
            old_key, _ = _cache.popitem(last=False)
            total -= _cache_rows.pop(old_key)
            _cache_folders.pop((old_key[0], old_key[1], old_key[-1]), None)


def _read_files(files, stats, is_live, limits, cache):
    """([(file, events)] of the files read, each with its tag prefix settled; the problems of
    every file)."""
    parsed: list[tuple[_File, FileEvents]] = []
    errors: list[FileProblem] = []
    for f, (size, mtime_ns), is_live_file in zip(files, stats, is_live):
        fe, notes = _read_file(f, size, is_live_file and mtime_ns, limits, incremental=cache and is_live_file)
        errors.extend(FileProblem(f.shown, n) for n in notes)
        if fe is not None:
            side = f.side or ("eval/" if any(t.startswith(tags.EVAL_FILE_MARKERS) for t in fe.scalar_tags) else "")
            parsed.append((_File(f.path, f.shown, side), fe))
    return parsed, errors


def _read_file(f: _File, size: int, live_mtime_ns: int, limits: Limits, *,
               incremental: bool = False) -> tuple[FileEvents | None, list[str]]:
    """(events or None when the file is skipped, problems). `live_mtime_ns`: the mtime of a
    file that may still be written (recent, newest of its folder), else 0. `incremental`:
    decode only what was appended since the last read of this file (`live.grown`)."""
    if f.path.name.endswith(".profile-empty"):
        return None, ["profiler marker (*.profile-empty): holds no training data, skipped"]
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
        return None, [f"not a regular file ({err.kind}): not read"]
    except OSError as err:
        return None, [f"cannot read: {err.strerror or type(err).__name__}"]
    notes = list(fe.problems)
    # NaN (no wall time to judge by) compares False: such a file is not taken to be live
    is_live = bool(live_mtime_ns) and live_mtime_ns / 1e9 - fe.last_wall_time < limits.live_gap_seconds
    if fe.tail and not is_live:
        notes.append(f"truncated: the last {fe.tail} bytes are an incomplete record "
                     f"(read the {fe.events} complete events before it)")
    if fe.events == 0:
        if fe.tail and not is_live:
            return None, notes
        what = "only the file header (file_version), no events" if fe.has_header else "no events"
        return None, notes + [f"empty: {what}" + (" yet (still being written)" if is_live else "")]
    if not fe.has_header and not fe.problems:
        notes.append(f"no file_version header: the file's beginning may be missing "
                     f"(first step {fe.first_step}); read what is there")
    return fe, notes
