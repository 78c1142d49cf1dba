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

Cache: each run folder's result (its runs) is kept in an in-process LRU keyed by (path, size,
mtime) of every file in it (plus config.json, the overrides and the live state), one version per folder,
so re-opening an unchanged logdir costs only the `stat` calls. A file that may be live is
decoded once and then only in the bytes appended since (`records.extend`), so following a
large run while it trains stays cheap. Cached frames are shared: treat them as
read-only. `clear_cache()` empties it. Uploads are not cached.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import archives, sessions, tags
from diagnostics.records import FileEvents, ReaderError, decode, extend
from diagnostics.rundata import FileProblem, RunData, RunPart, empty_histograms, empty_scalars

__all__ = ["Limits", "LoadResult", "ReaderError", "load", "load_uploads", "clear_cache"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what the reader accepts; past them the whole input is refused."""

    max_bytes: int = 2 * 1024**3  # event bytes read from a folder; bytes an archive may expand to
    max_files: int = 10_000  # event files in a folder; members of an archive
    live_seconds: float = 120.0  # a folder's newest file changed this recently may still grow
    live_gap_seconds: float = 3600.0  # ...if its last event is this close to that change


@dataclass
class LoadResult:
    runs: list[RunData] = field(default_factory=list)
    errors: list[FileProblem] = field(default_factory=list)  # skipped files and partial reads


@dataclass(frozen=True)
class _File:
    path: Path  # on disk
    shown: str  # "<root name>/<path relative to the root>", used in messages
    side: str  # tag prefix: "" or "<validation folder name>/"


# trainers.config.TrainConfig fields that together mark our trainer's config.json (the reader
# does not import trainers/); `"writer": "run-doctor"` in the file marks it too.
_OUR_CONFIG_FIELDS = frozenset({"optimizer", "lr", "seed", "log_every", "hist_every"})
_MAX_CONFIG_BYTES = 1024 * 1024
_STAMP = re.compile(r"tfevents\.(\d+)")
_CACHE_MAX_ROWS = 20_000_000
_cache: OrderedDict[tuple, tuple[list[RunData], list[FileProblem]]] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _live_files.clear()


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
    root = Path(path)
    if not root.exists():
        raise ReaderError(str(path), "no such file or folder")
    if root.is_file() and archives.is_archive(root.name):
        with tempfile.TemporaryDirectory(prefix="run-doctor-") as tmp:
            dest = Path(tmp) / archives.stem(root.name)
            archives.extract(root.name, root, dest, max_bytes=limits.max_bytes, max_files=limits.max_files)
            return _detached(_load_tree(dest, archives.stem(root.name), tag_overrides, limits, live=False,
                                        cache=False))
    if root.is_file():
        folder = root.resolve().parent
        file = _File(root.resolve(), f"{folder.name}/{root.name}", _lone_side(folder.name))
        return _collect({folder: [file]}, {folder: (folder.name, folder.name)}, [], tag_overrides, limits, True, True)
    return _load_tree(root.resolve(), root.resolve().name, tag_overrides, limits, live=True)


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
        archives.write_uploads(files, dest, max_bytes=limits.max_bytes, max_files=limits.max_files)
        if len(files) == 1 and archives.is_archive(files[0][0]):
            dest, name = dest / archives.stem(files[0][0]), archives.stem(files[0][0])
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
    return f"{name}/" if name.lower() in tags.VAL_SPLITS else ""


def _load_tree(root: Path, root_name: str, overrides, limits: Limits, *, live: bool,
               cache: bool = True) -> LoadResult:
    folders, problems = _discover(root, root_name, limits)
    groups: dict[Path, list[_File]] = {}
    for folder, names in folders.items():
        run_dir, prefix = _run_of(folder, root, folders)
        rel = folder.relative_to(root).as_posix()
        for n in names:
            shown = f"{root_name}/{n}" if rel == "." else f"{root_name}/{rel}/{n}"
            groups.setdefault(run_dir, []).append(_File(folder / n, shown, prefix))
    names = {}  # run folder -> (run name, how its folder is shown in messages)
    for d in groups:
        rel = d.relative_to(root).as_posix()
        names[d] = (root_name, root_name) if rel == "." else (rel, f"{root_name}/{rel}")
    return _collect(groups, names, problems, overrides, limits, live, cache, root)


def _run_of(folder: Path, root: Path, folders: Mapping[Path, list[str]]) -> tuple[Path, str]:
    """(run folder, tag prefix) for a folder with event files: split folders join their parent."""
    side = _side(folder.name)
    if folder == root or side is None:
        return folder, _lone_side(folder.name) if folder == root else ""
    parent = folder.parent
    siblings = [_side(f.name) for f in folders if f.parent == parent and f != folder]
    other = "val" if side == "train" else "train"
    if parent in folders or other in siblings:
        return parent, f"{folder.name}/" if side == "val" else ""
    return folder, _lone_side(folder.name)


def _discover(root: Path, root_name: str, limits: Limits):
    """{folder: [event file names]} under root, never following a symlink out of it."""
    folders: dict[Path, list[str]] = {}
    problems: list[FileProblem] = []
    count = size = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames.sort()
        for d in dirnames:
            if (here / d).is_symlink() and not _inside(here / d, root):
                problems.append(FileProblem(_shown(root, root_name, here / d),
                                            "symlink to a folder outside the logdir (not followed)"))
        names = []
        for name in sorted(filenames):
            if "tfevents" not in name:
                continue
            full = here / name
            if full.is_symlink() and not _inside(full, root):
                problems.append(FileProblem(_shown(root, root_name, full),
                                            "symlink to a file outside the logdir (not followed)"))
                continue
            count += 1
            if count > limits.max_files:
                raise ReaderError(root_name, f"more than {limits.max_files} event files (Limits.max_files)")
            with contextlib.suppress(OSError):  # unreadable: reported when it is read
                size += full.stat().st_size
            if size > limits.max_bytes:
                raise ReaderError(root_name, f"event files exceed {limits.max_bytes} bytes (Limits.max_bytes)")
            names.append(name)
        if names:
            folders[here] = names
    return folders, problems


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # broken or looping link
        return False


def _shown(root: Path, root_name: str, path: Path) -> str:
    return f"{root_name}/{path.relative_to(root).as_posix()}"


# ---- reading runs ------------------------------------------------------------------------------


def _order(f: _File) -> tuple:
    """Time order: the timestamp in the name, then the writer's counter after it compared as
    a number (files opened in the same second: "....pid.9" before "....pid.10")."""
    stamp = _STAMP.search(f.path.name)
    return (int(stamp.group(1)) if stamp else 0, _natural(f.path.name), f.shown)


def _natural(name: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


def _collect(groups, names, problems, overrides, limits, live, cache, root=None) -> LoadResult:
    result = LoadResult(errors=list(problems))
    taken = {name for name, _ in names.values()}
    for run_dir in sorted(groups, key=lambda d: (d != root, names[d][0])):  # the root's own run first
        files = sorted(groups[run_dir], key=_order)
        named = (*names[run_dir], _part_separator(names[run_dir][0], taken))
        runs, errs = _read_folder(named, run_dir, files, overrides, limits, live, cache)
        result.errors.extend(errs)
        result.runs.extend(runs)
    result.errors.sort(key=lambda p: p.file)
    return result


def _part_separator(name: str, taken: set[str]) -> str:
    """What joins a folder's name to its runs' numbers ("logs#2"): "#", or "##", ... when a
    folder of that name already exists (a real folder "logs#2" beside "logs")."""
    sep = "#"
    while any(re.fullmatch(re.escape(name + sep) + r"\d+", other) for other in taken):
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
    value = _build_runs(names, run_dir, files, stats, is_live, overrides, limits, cache)
    if cache:
        _remember(key, value)
    return value


def _remember(key: tuple, value: tuple[list[RunData], list[FileProblem]]) -> None:
    rows = lambda v: sum(len(r.scalars) + len(r.histograms) for r in v[0])  # noqa: E731
    same_run = lambda k: (k[0], k[1], k[-1]) == (key[0], key[1], key[-1])  # noqa: E731 - name, folder, overrides
    with _cache_lock:
        # One version per run folder: a run still training changes every few seconds, and
        # the versions it leaves behind would otherwise fill the cache with dead copies.
        for old_key in [k for k in _cache if same_run(k)]:
            del _cache[old_key]
        _cache[key] = value
        total = sum(rows(v) for v in _cache.values())
        while len(_cache) > 1 and (total > _CACHE_MAX_ROWS or len(_cache) > 256):
            _, old = _cache.popitem(last=False)
            total -= rows(old)


def _read_file(f: _File, size: int, live_mtime_ns: int, limits: Limits, *,
               incremental: bool = False) -> tuple[FileEvents | None, list[str]]:
    """(events or None when the file is skipped, problems). `live_mtime_ns`: the mtime of a
    file that may still be written (recent, newest of its folder), else 0. `incremental`:
    decode only what was appended since the last read of this file (`_grown`)."""
    if f.path.name.endswith(".profile-empty"):
        return None, ["profiler marker (*.profile-empty): holds no training data, skipped"]
    try:
        fe = _grown(f, size) if incremental else None
        if fe is None:
            with open(f.path, "rb") as fh:
                data = fh.read(size)  # only what was stat'ed: a live file may grow meanwhile
            fe = decode(data, f.shown)
        if incremental:
            _remember_file(f.path, size, fe)
    except ReaderError as err:
        return None, [err.problem]
    except OSError as err:
        return None, [f"cannot read: {err.strerror or err}"]
    notes = list(fe.problems)
    # NaN (no wall time to judge by) compares False: such a file is not taken to be live
    live = bool(live_mtime_ns) and live_mtime_ns / 1e9 - fe.last_wall_time < limits.live_gap_seconds
    if fe.tail and not live:
        notes.append(f"truncated: the last {fe.tail} bytes are an incomplete record "
                     f"(read the {fe.events} complete events before it)")
    if fe.events == 0:
        if fe.tail and not live:
            return None, notes
        what = "only the file header (file_version), no events" if fe.has_header else "no events"
        return None, notes + [f"empty: {what}" + (" yet (still being written)" if live else "")]
    if not fe.has_header and not fe.problems:
        notes.append(f"no file_version header: the file's beginning may be missing "
                     f"(first step {fe.first_step}); read what is there")
    return fe, notes


# A file still being written is decoded once, then only its new bytes at each later read: a
# followed 50 MB live log costs the appended records, not a full parse, per look. One entry per
# live file (the newest of its folder, changed in the last `live_seconds`).
_GUARD = 16  # bytes before the resume point that must be unchanged: the file was appended to
_live_files: OrderedDict[str, tuple[int, int, bytes, FileEvents]] = OrderedDict()  # path -> ino, size, guard, events
_LIVE_FILES_MAX = 32


def _grown(f: _File, size: int) -> FileEvents | None:
    """The file's events from its last read plus what was appended since; None: read it all."""
    with _cache_lock:
        entry = _live_files.get(str(f.path))
    if entry is None:
        return None
    ino, old_size, guard, prev = entry
    start = prev.resume_at
    if start is None or size < old_size or f.path.stat().st_ino != ino:
        return None
    with open(f.path, "rb") as fh:
        fh.seek(max(0, start - _GUARD))
        data = fh.read(size - max(0, start - _GUARD))
    if data[: min(_GUARD, start)] != guard:
        return None  # rewritten, not appended to
    appended = data[min(_GUARD, start):]
    if not appended:
        return prev
    return extend(prev, appended, f.shown)


def _remember_file(path: Path, size: int, fe: FileEvents) -> None:
    if fe.resume_at is None:
        return
    with open(path, "rb") as fh:
        fh.seek(max(0, fe.resume_at - _GUARD))
        guard = fh.read(min(_GUARD, fe.resume_at))
    with _cache_lock:
        _live_files[str(path)] = (path.stat().st_ino, size, guard, fe)
        _live_files.move_to_end(str(path))
        while len(_live_files) > _LIVE_FILES_MAX:
            _live_files.popitem(last=False)


def _build_runs(names, run_dir, files, stats, is_live, overrides, limits, cache):
    """Read the folder's files, split them into runs (`sessions`), build each run."""
    name, shown_dir, sep = names
    parsed, errors = _read_files(files, stats, is_live, limits, cache)
    if not parsed:
        return [], errors
    groups = _split(parsed)
    ours, from_json = _config(run_dir, errors, shown_dir)
    if len(groups) == 1:
        return [_build_run(name, run_dir, parsed, errors, ours, from_json, overrides)], errors
    runs = []
    for n, group in enumerate(groups, 1):  # "logs#1", "logs#2", ... in time order
        run = _build_run(f"{name}{sep}{n}", run_dir, [parsed[i] for i in group], errors, ours, from_json,
                         overrides)
        runs.append(replace(run, part=_part(run, n, len(groups), name)))
    return runs, errors


def _split(parsed: list[tuple[_File, FileEvents]]) -> list[list[int]]:
    """The files (indices into `parsed`, time order) of each run the folder held."""
    if len(parsed) == 1:
        return [[0]]
    return sessions.split([sessions.session_of(fe, f.side) for f, fe in parsed])


def _read_files(files, stats, is_live, limits, cache):
    """([(file, events)] of the files read, each with its tag prefix settled; the problems of
    every file)."""
    parsed: list[tuple[_File, FileEvents]] = []
    errors: list[FileProblem] = []
    for f, (size, mtime_ns), live in zip(files, stats, is_live):
        fe, notes = _read_file(f, size, live and mtime_ns, limits, incremental=cache and live)
        errors.extend(FileProblem(f.shown, n) for n in notes)
        if fe is not None:
            side = f.side or ("eval/" if any(t.startswith(tags.EVAL_FILE_MARKERS) for t in fe.scalar_tags) else "")
            parsed.append((_File(f.path, f.shown, side), fe))
    return parsed, errors


def _build_run(name, run_dir, parsed, errors, ours, from_json, overrides) -> RunData:
    scalars, histograms, tag_names = _frames(name, parsed)
    hparams = next((fe.hparams for _, fe in parsed if fe.hparams), None)
    config = from_json if ours else hparams or from_json  # ours, else hparams, else any config.json
    writer = "run-doctor" if ours else tags.guess_writer(
        tag_names,
        [p for f, _ in parsed for p in (f.shown, str(f.path))],
        [fe.source_writer for _, fe in parsed],
        set().union(*(fe.plugins | fe.kinds for _, fe in parsed)),
    )
    # whether a tag is a histogram decides its family (`gradients/fc1.weight`: grad/ or grad_norm/)
    mapping = tags.map_tags(tag_names, histogram_tags=histograms["tag"].cat.categories)
    derived = tags.derived_losses(scalars["tag"].cat.categories, mapping)  # loss totals never logged
    shown = {f.shown for f, _ in parsed}
    return RunData(
        run=name,
        scalars=scalars,
        histograms=histograms,
        tag_map=tags.apply_overrides({**mapping, **{d: c for d, (c, _, _) in derived.items()}}, overrides),
        derived={d: tuple(prefix + part for part in parts) for d, (_, prefix, parts) in derived.items()},
        config=config,
        writer=writer,
        files=tuple(f.shown for f, _ in parsed),
        problems=tuple(p for p in errors if p.file in shown),  # partial reads of its files
        path=str(run_dir),
    )


def _part(run: RunData, index: int, of: int, folder: str) -> RunPart:
    steps = np.concatenate([run.scalars["step"].to_numpy(), run.histograms["step"].to_numpy()])
    return RunPart(index=index, of=of, folder=folder, first_file=Path(run.files[0]).name,
                   steps=(int(steps.min()), int(steps.max())) if steps.size else (0, 0))


def _config(run_dir: Path, errors: list[FileProblem], shown_dir: str) -> tuple[bool, dict[str, Any] | None]:
    """(is it our trainer's, contents) of the run folder's config.json."""
    path = run_dir / "config.json"
    if not path.is_file() or path.is_symlink():
        return False, None
    try:
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise ValueError("larger than 1 MiB")
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        errors.append(FileProblem(f"{shown_dir}/config.json", f"not readable as JSON ({err}); ignored"))
        return False, None
    if not isinstance(cfg, dict):
        return False, None
    ours = cfg.get("writer") == "run-doctor" or cfg.keys() >= _OUR_CONFIG_FIELDS
    return ours, cfg


def _frames(name: str, parsed: list[tuple[_File, FileEvents]]) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Concatenate the files' columns into the two tidy frames, built once each."""
    scalar_index: dict[str, int] = {}
    hist_index: dict[str, int] = {}
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "step", "value", "wall_time")}
    hcols: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "step", "wall_time", "left", "right", "count")}
    for f, fe in parsed:
        if fe.steps.size:
            remap = np.asarray([scalar_index.setdefault(f.side + t, len(scalar_index)) for t in fe.scalar_tags],
                               np.int32)
            cols["id"].append(remap[fe.scalar_ids])
            cols["step"].append(fe.steps)
            cols["value"].append(fe.values)
            cols["wall_time"].append(fe.wall_times)
        if fe.hist and fe.hist["id"].size:
            remap = np.asarray([hist_index.setdefault(f.side + t, len(hist_index)) for t in fe.hist_tags], np.int32)
            hcols["id"].append(remap[fe.hist["id"]])
            for k in ("step", "wall_time", "left", "right", "count"):
                hcols[k].append(fe.hist[k])
    scalars = _frame(name, scalar_index, cols, empty_scalars)
    histograms = _frame(name, hist_index, hcols, empty_histograms)
    return scalars, histograms, set(scalar_index) | set(hist_index)


def _frame(name: str, index: dict[str, int], cols: dict[str, list[np.ndarray]], empty) -> pd.DataFrame:
    if not cols["id"]:
        return empty()
    ids = np.concatenate(cols.pop("id"))
    # Categorical columns: the codes we already have plus one copy of each name. A string per
    # row made the pickle that st.cache_data stores 1.4x larger (50 MB logdir of
    # benchmarks/make_big_log.py: 43.8 -> 31.4 MB) and `tag == name` filters slower.
    data = {
        "run": pd.Categorical.from_codes(np.zeros(ids.size, np.int8), categories=[name]),
        "tag": pd.Categorical.from_codes(ids, categories=list(index)),
    }
    data.update({k: np.concatenate(v) for k, v in cols.items()})
    return pd.DataFrame(data)[list(empty().columns)]
