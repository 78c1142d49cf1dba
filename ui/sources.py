"""Where runs come from (bundled samples, the server's runs root, uploads) and the one loader of
run folders every page uses (`load_folder`, `load_path`).

Safety: the UI only ever offers folders it found itself under a root, and every path is
resolved and checked to lie inside that root before it is read, so neither a crafted widget
value nor a symlink can make the app read elsewhere. Listing and fingerprinting are bounded
walks that skip what they cannot read (a folder without permission, a FIFO, 1,000 nested
folders); a folder name that is not UTF-8 is listed under its real name and shown escaped
(`shown`), and cache keys carry only printable text.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from diagnostics import reader, run_dirs
from diagnostics.files import shown
from diagnostics.messages import as_msg
from diagnostics.rundata import RunData

REPO = Path(__file__).resolve().parents[1]
SAMPLES_ROOT = REPO / "sample_runs"
RUNS_ENV = "RUN_DOCTOR_RUNS"
UPLOAD_LIMIT_MB = 200  # per file; `server.maxUploadSize` in .streamlit/config.toml is the hard cap
MAX_DEPTH = run_dirs.MAX_DEPTH  # folder levels looked into, as the reader does
MAX_ENTRIES = 200_000  # directory entries one listing or fingerprint looks at


class OutsideRoot(ValueError):
    """A requested path does not lie inside the allowed root."""


def runs_root(argv: list[str] | None = None) -> Path:
    """`streamlit run app.py -- --runs DIR` beats `RUN_DOCTOR_RUNS`, which beats `./runs`."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--runs")
    # parse_known_args: under pytest or AppTest sys.argv holds someone else's options.
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return Path(known.runs or os.environ.get(RUNS_ENV) or REPO / "runs").expanduser().resolve()


def inside(root: Path, relative: str) -> Path:
    """`root/relative`, resolved; raises OutsideRoot if it escapes the root (.., symlinks)."""
    root = root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise OutsideRoot(f"{relative!r} is outside {root}")
    return path


def list_run_folders(root: Path) -> list[str]:
    """"." when the root is itself a run with events, then the folders directly under `root`
    that hold one (`run_dirs.top_level`: what a run folder is, for the reader and the lineage too).

    Top-level folders, not every leaf: a Keras logdir keeps train/ and validation/ apart, and
    the reader has to see both to make one run of them. Symlinked folders are not followed.
    Names are the folders' real names: show them with `shown`.
    """
    return run_dirs.top_level(root)


def is_listed(root: Path, name: str) -> bool:
    """Whether `list_run_folders(root)` holds `name` (a folder directly under root), without
    searching the other folders."""
    return run_dirs.is_top_level(root, name)


def newest(root: Path, folders: list[str]) -> str:
    """The folder of `folders` (names under `root`) changed most recently; the first on a tie."""
    def changed(name: str) -> float:
        try:
            return os.stat(root / name, follow_symlinks=False).st_mtime
        except OSError:
            return 0.0
    return max(folders, key=changed)


def fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Sizes and mtimes of every file below `folder`: the cache key of a parsed folder."""
    return tuple(sorted((shown(rel), st.st_size, st.st_mtime_ns) for _, rel, st in _walk(folder, stat_files=True)))


def _entries(folder: Path) -> list[os.DirEntry] | None:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _walk(folder: Path, stat_files: bool = False):
    """(path, path relative to `folder`, stat or None) of the files below `folder`: iterative,
    at most MAX_DEPTH levels and MAX_ENTRIES entries; what cannot be read is left out."""
    stack, seen = [(folder, "", 0)], 0
    while stack:
        here, rel, depth = stack.pop()
        for entry in _entries(here) or ():
            seen += 1
            if seen > MAX_ENTRIES:
                return
            name = f"{rel}{entry.name}"
            if _is_dir(entry):
                if depth < MAX_DEPTH:
                    stack.append((Path(entry.path), f"{name}/", depth + 1))
                continue
            if not stat_files:
                yield entry.path, name, None
                continue
            try:
                yield entry.path, name, entry.stat()
            except OSError:
                continue


@dataclass(frozen=True)
class Loaded:
    """A LoadResult made safe to cache: fatal errors become a one-line message, not an exception."""

    runs: tuple[RunData, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()  # (file, message) the reader skipped, in no run
    error: str | None = None


def _wrap(load) -> Loaded:
    try:
        result = load()
    except reader.ReaderError as exc:
        return Loaded(error=_one_line(exc))
    except Exception as exc:  # noqa: BLE001 — untrusted input must never end in a traceback page
        return Loaded(error=f"{type(exc).__name__}: {_one_line(exc)}")
    # Partial reads of a run's own files are shown with that run (RunData.problems); here
    # only what belongs to no run, so nothing is said twice.
    in_runs = {(p.file, p.message) for run in result.runs for p in run.problems}
    problems = [(p.file, p.message) for p in result.errors]
    return Loaded(runs=tuple(result.runs), problems=tuple(p for p in problems if p not in in_runs))


def _one_line(exc: BaseException) -> str:
    """The exception's text on one line; its message itself (key and all) when it is one already."""
    text = " ".join(str(exc).split())
    msg = as_msg(exc)
    return msg if msg is not None and msg == text else text or type(exc).__name__


def load_folder(root: Path, relative: str, files: tuple[tuple[str, int, int], ...] | None = None
                ) -> tuple[str, Loaded]:
    """(content id, loaded runs) of a folder under `root`; the id changes when a file does.
    `files`: its `fingerprint`, when the caller took it already.

    The one loader of run folders (the Diagnose page's picker, the re-run and compare views):
    the reader's own cache (`run_folder.CACHE`) keeps one parsed version per folder and re-reads
    a folder only when a file of it was added, grew or was touched, so there is no second,
    pickled copy here (a followed run would leave a dead copy of ~30 MB behind each time it
    grew, and each page run would unpickle its copy). The runs are shared: treat as read-only."""
    path = inside(root, relative)
    files = fingerprint(path) if files is None else files
    content = hashlib.sha1(repr((str(path), files)).encode()).hexdigest()
    return content, _wrap(lambda: reader.load(path))


def load_path(path: str | os.PathLike[str]) -> Loaded | None:
    """`load_folder` of a run folder given by its path, which must lie in the runs root or the
    samples; None for a path elsewhere (the pages never read outside those)."""
    for root in (runs_root(), SAMPLES_ROOT):
        try:
            relative = Path(path).resolve().relative_to(root.resolve())
        except (ValueError, OSError, RuntimeError):
            continue
        try:
            return load_folder(root, relative.as_posix() or ".")[1]
        except OutsideRoot:
            return None
    return None


@st.cache_data(show_spinner=False, max_entries=8)
def _load_uploads(digest: str, _files: tuple[tuple[str, bytes], ...]) -> Loaded:
    # Keyed by the content hash only: hashing tens of MB of bytes twice would cost as much.
    return _wrap(lambda: reader.load_uploads(list(_files)))


def load_uploads(files: list[tuple[str, bytes]]) -> tuple[str, Loaded]:
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little"))
        h.update(data)
    digest = h.hexdigest()
    return digest, _load_uploads(digest, tuple(files))
