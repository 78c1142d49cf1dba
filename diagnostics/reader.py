"""Logdir, single event file, or uploaded archive -> one `RunData` per run.

    result = load("runs/")                  # LoadResult(runs=[RunData...], errors=[FileProblem...])
    result = load_uploads([("logs.zip", data)])

What is a run. A run folder (`run_dirs.py`, the one definition the app's list of runs and the
trainer's lineage use too) is every folder holding event files (names containing "tfevents"),
named by its path relative to the root ("." -> the root folder's own name); folders named with a
leading "." are not searched. Sibling split folders are ONE run folder, their parent:
`train/`+`validation/` (Keras), `train/`+`eval/` (Trax, TF OD API), or a folder with events plus
an `eval/` child (tf.estimator). Tags from the validation side get the folder's name as prefix
(`validation/epoch_loss`, `eval/loss`) so the alias table (`tag_names.py`) maps them to `val/*`. A folder named
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
still load; a file cut short keeps its intact prefix (`run_folder.py` says when a cut is taken to
be a writer still at it). Uploads are never live.

Hostile input: finding files is `discover.py` (a bounded walk: only regular files, each file
once, undecodable names escaped, unlistable folders reported); bytes are `framing.py` and
`records.py` (linear cost, bounded working memory, malformed records and summaries skipped);
building runs is `assemble.py`. Whatever a file or folder holds, the answer is runs plus
one-line problems, or one ReaderError for the whole input -- never another exception.

Cache: a run folder is read again only when its files (path, size, mtime), its config.json,
the overrides or the live state changed (`run_folder.py`, `reader_cache.py`), so re-opening an
unchanged logdir costs only the `stat` calls. `clear_cache()` empties it. Uploads are not cached.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from diagnostics import archives, discover, live, run_dirs, run_folder, tag_names
from diagnostics.assemble import File as _File
from diagnostics.files import kind, shown
from diagnostics.messages import Msg
from diagnostics.records import ReaderError
from diagnostics.rundata import FileProblem, RunData

__all__ = ["Limits", "LoadResult", "ReaderError", "load", "load_uploads", "clear_cache"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what the reader accepts; past them the whole input is refused."""

    max_bytes: int = 2 * 1024**3  # event bytes read from a folder; bytes an archive may expand to
    max_files: int = 10_000  # event files in a folder; members of an archive
    max_ratio: int = archives.MAX_RATIO  # an archive expands to at most this x its size (past a floor)
    max_depth: int = run_dirs.MAX_DEPTH  # folder levels searched below the root
    live_seconds: float = 120.0  # a folder's newest file changed this recently may still grow
    live_gap_seconds: float = 3600.0  # ...if its last event is this close to that change


@dataclass
class LoadResult:
    runs: list[RunData] = field(default_factory=list)
    errors: list[FileProblem] = field(default_factory=list)  # skipped files and partial reads


_STAMP = re.compile(r"tfevents\.(\d+)")
_cache = run_folder.CACHE  # benchmarks/follow_memory.py counts the versions held


def clear_cache() -> None:
    run_folder.CACHE.clear()
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
        raise ReaderError("''", Msg("path.empty"))
    root = Path(path)
    try:
        mode = root.stat().st_mode
    except OSError as err:
        if root.is_symlink() or not isinstance(err, FileNotFoundError):
            raise ReaderError(shown(path), Msg("file.cannot_read", why=err.strerror or type(err).__name__)) from None
        raise ReaderError(shown(path), Msg("path.missing")) from None
    if stat.S_ISREG(mode) and archives.is_archive(root.name):
        with tempfile.TemporaryDirectory(prefix="run-doctor-") as tmp:
            dest = Path(tmp) / archives.stem(root.name)
            archives.extract(root.name, root, dest, max_bytes=limits.max_bytes, max_files=limits.max_files,
                             max_ratio=limits.max_ratio)
            return _detached(_load_tree(dest, shown(archives.stem(root.name)), tag_overrides, limits, live=False,
                                        cache=False))
    if stat.S_ISREG(mode):
        if root.stat().st_size > limits.max_bytes:
            raise ReaderError(shown(path), Msg("limits.bytes", n=limits.max_bytes))
        folder = root.resolve().parent
        file = _File(root.resolve(), f"{shown(folder.name)}/{shown(root.name)}", _lone_side(folder.name))
        name = shown(folder.name)
        return _collect({folder: [file]}, {folder: (name, name)}, [], tag_overrides, limits, True, True)
    if not stat.S_ISDIR(mode):
        raise ReaderError(shown(path), Msg("path.not_an_input", kind=kind(mode)))
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


def _lone_side(name: str) -> str:
    """Tag prefix for a validation folder read on its own (not `test`: a common run name)."""
    return f"{shown(name)}/" if name.lower() in tag_names.VAL_SPLITS else ""


def _load_tree(root: Path, root_name: str, overrides, limits: Limits, *, live: bool,
               cache: bool = True) -> LoadResult:
    folders, problems = discover.event_files(root, root_name, limits)
    sides: dict[Path, list[str | None]] = {}  # folder -> the sides of its folders with event files
    for folder in folders:
        sides.setdefault(folder.parent, []).append(run_dirs.side(folder.name))
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
    """`folder` (the root or inside it) as shown relative to `root`: "a/b", or "."."""
    inner = os.fspath(folder)[len(os.fspath(root)):].lstrip(os.sep)  # not Path.relative_to: slow per folder
    return shown(inner.replace(os.sep, "/")) if inner else "."


def _run_of(folder: Path, root: Path, folders: Mapping[Path, list[str]],
            sides: Mapping[Path, list[str | None]]) -> tuple[Path, str]:
    """(run folder, tag prefix) for a folder with event files: split folders join their parent."""
    if folder != root and run_dirs.joins(folder.name, lambda: folder.parent in folders,
                                         lambda: sides.get(folder.parent, ())):
        return folder.parent, f"{shown(folder.name)}/" if run_dirs.side(folder.name) == "val" else ""
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
        files = sorted(groups[run_dir], key=_order) if len(groups[run_dir]) > 1 else groups[run_dir]
        named = (*names[run_dir], _part_separator(names[run_dir][0], numbered))
        runs, errs = run_folder.read(named, run_dir, files, overrides, limits, live, cache)
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
