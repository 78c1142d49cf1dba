"""Finding the event files under a root: a bounded walk that trusts nothing it finds.

    folders, problems = event_files(root, "logs", limits)   # {folder: [names]}, [FileProblem]

An event file is a regular file whose name contains "tfevents". The walk
- is iterative (no recursion) and goes at most `limits.max_depth` folders below the root and
  through at most `MAX_FOLDERS` folders; what lies deeper or beyond is reported, not searched;
- reports a folder it cannot list (no permission, gone meanwhile) and walks the rest;
- never follows a symlinked folder (one that leads out of the root is reported); reads a
  symlinked file only when it leads to a regular file inside the root; reports a broken or
  looping link named like an event file;
- reports a FIFO, socket or device named like an event file and never opens it;
- reads a file seen under two names (a symlink or hard link to a file of the root) once, under
  the name that is not a link, and reports the other;
- refuses the whole input (ReaderError) past `limits.max_files` event files or `limits.max_bytes`.

Names are shown with undecodable bytes escaped (`files.shown`), so a folder name that is not
UTF-8 prints as `caf\\xe9`; the paths themselves stay as they are for opening.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from diagnostics.errors import ReaderError
from diagnostics.files import kind, shown
from diagnostics.rundata import FileProblem

MAX_FOLDERS = 100_000  # folders one walk looks into


@dataclass(frozen=True)
class _Candidate:
    folder: Path
    name: str
    shown: str
    link: bool
    key: tuple[int, int]  # (device, inode): one file under several names
    size: int


def event_files(root: Path, root_name: str, limits) -> tuple[dict[Path, list[str]], list[FileProblem]]:
    """{folder: [event file names]} under root (a folder, resolved), and what was skipped."""
    problems: list[FileProblem] = []
    found: list[_Candidate] = []
    real_root = os.path.realpath(root)
    stack: list[tuple[Path, str, int]] = [(root, root_name, 0)]
    visited = 0
    while stack:
        folder, where, depth = stack.pop()
        visited += 1
        if visited > MAX_FOLDERS:
            problems.append(FileProblem(root_name, f"more than {MAX_FOLDERS} folders: the rest not searched"))
            break
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            problems.append(FileProblem(where, f"folder not readable ({_why(err)}): not searched"))
            continue
        subfolders = []
        for entry in entries:
            name_shown = f"{where}/{shown(entry.name)}"
            try:
                is_link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append((Path(entry.path), name_shown, depth + 1))
                    continue
            except OSError as err:
                problems.append(FileProblem(name_shown, f"cannot read: {_why(err)}"))
                continue
            if is_link:
                _linked(folder, entry, name_shown, real_root, problems, found)
            elif "tfevents" in entry.name:
                _plain(folder, entry, name_shown, problems, found)
            if len(found) > limits.max_files:
                raise ReaderError(root_name, f"more than {limits.max_files} event files (Limits.max_files)")
        if subfolders and depth >= limits.max_depth:
            problems.append(FileProblem(where, f"folders nested deeper than {limits.max_depth} levels "
                                               f"(Limits.max_depth): not searched below"))
            continue
        stack.extend(reversed(subfolders))  # depth first, in name order
    return _unique(found, root_name, limits, problems), problems


def _why(err: BaseException) -> str:
    return getattr(err, "strerror", None) or type(err).__name__


def _plain(folder: Path, entry: os.DirEntry, name_shown: str, problems: list[FileProblem],
           found: list[_Candidate]) -> None:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError as err:
        problems.append(FileProblem(name_shown, f"cannot read: {_why(err)}"))
        return
    if not stat.S_ISREG(st.st_mode):
        problems.append(FileProblem(name_shown, f"not a regular file ({kind(st.st_mode)}): not read"))
        return
    found.append(_Candidate(folder, entry.name, name_shown, False, (st.st_dev, st.st_ino), st.st_size))


def _linked(folder: Path, entry: os.DirEntry, name_shown: str, real_root: str, problems: list[FileProblem],
            found: list[_Candidate]) -> None:
    """A symlink: followed only to a regular event file inside the root; a folder is never
    followed (reported when it leads outside); a broken one is reported when named like an
    event file."""
    event = "tfevents" in entry.name
    try:
        st = os.stat(entry.path)
        target = os.path.realpath(entry.path)
    except (OSError, ValueError) as err:
        if event:  # a broken or looping link
            problems.append(FileProblem(name_shown, f"cannot read: {_why(err)}"))
        return
    inside = os.path.commonpath([real_root, target]) == real_root
    if stat.S_ISDIR(st.st_mode):
        if not inside:
            problems.append(FileProblem(name_shown, "symlink to a folder outside the logdir (not followed)"))
        return
    if not event:
        return
    if not inside:
        problems.append(FileProblem(name_shown, "symlink to a file outside the logdir (not followed)"))
    elif not stat.S_ISREG(st.st_mode):
        problems.append(FileProblem(name_shown, f"not a regular file ({kind(st.st_mode)}): not read"))
    else:
        found.append(_Candidate(folder, entry.name, name_shown, True, (st.st_dev, st.st_ino), st.st_size))


def _unique(found: list[_Candidate], root_name: str, limits, problems: list[FileProblem]) -> dict[Path, list[str]]:
    """Each file once (its plain name before a link's), within the byte limit."""
    first: dict[tuple[int, int], _Candidate] = {}
    for c in sorted(found, key=lambda c: c.link):  # stable: walk order among plain names, then links
        if c.key in first:
            problems.append(FileProblem(c.shown, f"same file as {first[c.key].shown} (read once)"))
        else:
            first[c.key] = c
    folders: dict[Path, list[str]] = {}
    size = 0
    for c in found:
        if first.get(c.key) is not c:
            continue
        size += c.size
        if size > limits.max_bytes:
            raise ReaderError(root_name, f"event files exceed {limits.max_bytes} bytes (Limits.max_bytes)")
        folders.setdefault(c.folder, []).append(c.name)
    return folders
