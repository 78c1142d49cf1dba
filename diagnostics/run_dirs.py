"""What a run folder is: the one definition the reader, the app's list of runs and the trainer's
lineage share.

    run_dirs.run_folders(root)   # every run folder under root: [RunFolder(path, events, ours)]
    run_dirs.top_level(root)     # "." and the folders directly under root that hold a run

A run folder is a folder that holds, directly,
- event files (an entry named with "tfevents" that is not a folder): a run with curves; or
- our trainer's files (config.json, status.json, lineage.json): a run of ours, perhaps queued
  and without events yet.
Split folders are ONE run folder, their parent: `train/`+`validation/` (Keras), `train/`+`eval/`
(Trax, TF OD API), or a folder with events plus an `eval/` child (tf.estimator). A side whose
parent holds no events and that has no opposite side beside it is a run of its own (`test/`
included). Run folders nest: a folder of runs, a run inside a run -- each is a run.

Not searched: folders named with a leading "." (the queue's `.jobs`, auto-repair's `.repairs`,
`.git`), symlinked folders (never followed), folders past `MAX_DEPTH` levels below the root
or beyond `MAX_FOLDERS`, folders that cannot be listed. An entry counts by its name; whether it
can be read is the reader's business (`discover.py` opens only regular files inside the root
and reports the rest).

Who uses it: `reader` joins the folders `discover` found with event files by `joins`, and reads
the run folders with events; `ui.sources.list_run_folders` is `top_level` (what has events to
diagnose); `trainers.lineage.find_runs` is `run_folders`, with or without events.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from diagnostics import tag_names

EVENT_MARK = "tfevents"  # TensorBoard names every event file `events.out.tfevents.*`
TRAINER_FILES = ("config.json", "status.json", "lineage.json")  # what our trainer writes first
MAX_DEPTH = 64  # folder levels searched below the root (`reader.Limits.max_depth`)
MAX_FOLDERS = 100_000  # folders one search lists


@dataclass(frozen=True)
class RunFolder:
    path: Path
    events: bool  # holds event files (itself or its split sides): a run the reader reads
    ours: bool  # holds one of our trainer's files


def is_event_file(name: str) -> bool:
    return EVENT_MARK in name


def searched(name: str) -> bool:
    """Whether a folder of this name is looked into (not `.jobs`, `.repairs`, `.git`, ...)."""
    return not name.startswith(".")


def side(name: str) -> str | None:
    """"train" or "val" for a split folder's name (`test` counts as a validation side), else None."""
    low = name.lower()
    if low in tag_names.VAL_SPLITS or low in tag_names.TEST_SPLITS:
        return "val"
    return "train" if low in tag_names.TRAIN_SPLITS else None


def joins(name: str, parent_events: Callable[[], bool], parent_sides: Callable[[], Iterable[str | None]]) -> bool:
    """Whether a folder of this name (holding event files, not the root: the root joins no
    parent) is a split side of its parent's run: the parent holds event files, or an opposite
    side with event files lies beside it. `parent_sides()`: the `side`s of the parent's folders
    with event files."""
    own = side(name)
    if own is None:
        return False
    return parent_events() or ("val" if own == "train" else "train") in parent_sides()


def run_folders(root: str | os.PathLike[str], *, max_depth: int = MAX_DEPTH) -> list[RunFolder]:
    """Every run folder under `root` (the root included), depth first in name order."""
    start = _text(root)
    return [RunFolder(Path(path), events, ours) for path, events, ours in _walk(start, start, _Lister(), max_depth)]


def top_level(root: str | os.PathLike[str], *, max_depth: int = MAX_DEPTH) -> list[str]:
    """"." when the root is a run folder with events, then, by name, the folders directly under
    the root holding a run folder with events (a split side of the root's run is part of ".").
    A folder's search stops at its first such run: a large runs root is not walked to the end."""
    root, lister = _text(root), _Lister()
    here = lister(root)
    if here is None:
        return []
    found = ["."] if _has_run_events(root, here, lister) else []
    return found + [name for name, sub in here.subfolders if _holds_run(name, sub, root, lister, max_depth)]


def is_top_level(root: str | os.PathLike[str], name: str, *, max_depth: int = MAX_DEPTH) -> bool:
    """Whether `top_level(root)` holds `name`, searching only that folder (and, for a split side
    of the root's run, the root's own files and sides)."""
    root, lister = _text(root), _Lister()
    if name == ".":
        here = lister(root)
        return here is not None and _has_run_events(root, here, lister)
    if not name or os.sep in name or not searched(name):  # "..", ".jobs", "a/b": no folder listed
        return False
    sub = os.path.join(root, name)
    try:
        if os.path.islink(sub) or not os.path.isdir(sub):
            return False
    except (OSError, ValueError):
        return False
    return _holds_run(name, sub, root, lister, max_depth)


# ---- the walk (paths as text: a search may list 100,000 folders) ----------------------------------
def _text(root: str | os.PathLike[str]) -> str:
    """The root as text, without a trailing separator (paths below it are joined to it)."""
    text = os.fspath(root)
    return text.rstrip(os.sep) or text


@dataclass(frozen=True)
class _Listing:
    events: bool
    ours: bool
    subfolders: tuple[tuple[str, str], ...]  # (name, path) of the folders searched, by name


class _Lister:
    """Each folder listed once per search (a side's siblings are looked at more than once)."""

    def __init__(self) -> None:
        self._seen: dict[str, _Listing | None] = {}

    def __call__(self, folder: str) -> _Listing | None:
        if folder not in self._seen:
            self._seen[folder] = _list(folder) if len(self._seen) < MAX_FOLDERS else None
        return self._seen[folder]

    def events(self, folder: str) -> bool:
        listing = self(folder)
        return listing is not None and listing.events

    def event_sides(self, parent: str) -> list[str | None]:
        listing = self(parent)
        subs = listing.subfolders if listing is not None else ()
        return [side(name) for name, sub in subs if side(name) and self.events(sub)]


def _list(folder: str) -> _Listing | None:
    events = ours = False
    subfolders = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if searched(entry.name):
                            subfolders.append((entry.name, entry.path))
                        continue
                    if entry.is_symlink() and entry.is_dir():  # a link to a folder: not followed
                        continue
                except OSError:
                    continue
                events = events or is_event_file(entry.name)
                ours = ours or entry.name in TRAINER_FILES
    except OSError:
        return None
    return _Listing(events, ours, tuple(sorted(subfolders)))


def _joined(name: str, path: str, root: str, lister: _Lister) -> bool:
    """A folder with event files that is a split side of its parent's run."""
    if path == root:
        return False
    parent = os.path.dirname(path)
    return joins(name, lambda: lister.events(parent), lambda: lister.event_sides(parent))


def _has_run_events(folder: str, here: _Listing, lister: _Lister) -> bool:
    """Event files in the folder itself or in split sides that join it."""
    return here.events or any(side(name) and lister.events(sub) and _joined(name, sub, folder, lister)
                              for name, sub in here.subfolders)


def _holds_run(name: str, sub: str, root: str, lister: _Lister, max_depth: int) -> bool:
    """A folder directly under the root holds a run folder with events (not as a split side
    of the root's run)."""
    if side(name) and lister.events(sub) and _joined(name, sub, root, lister):
        return False
    return any(events for _, events, _ in _walk(sub, sub, lister, max_depth - 1))


def _walk(start: str, root: str, lister: _Lister, max_depth: int) -> Iterator[tuple[str, bool, bool]]:
    """(path, events, ours) of each run folder from `start` down, depth first in name order."""
    stack = [(start, os.path.basename(start), 0)]
    while stack:
        folder, name, depth = stack.pop()
        here = lister(folder)
        if here is None:
            continue
        if not (here.events and _joined(name, folder, root, lister)):  # else part of its parent's run
            events = _has_run_events(folder, here, lister)
            if events or here.ours:
                yield folder, events, here.ours
        if depth < max_depth:
            stack.extend((sub, sub_name, depth + 1) for sub_name, sub in reversed(here.subfolders))
