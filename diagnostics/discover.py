"""Finding the event files under a root: a bounded walk that trusts nothing it finds.

    folders, problems = event_files(root, "logs", limits)   # {folder: [names]}, [FileProblem]

An event file is a regular file whose name contains "tfevents" (what a run folder is, and which
folders are searched: `run_dirs.py`). The walk
- skips folders named with a leading "." (`.jobs`, `.repairs`, `.git`), as every search does;
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

from diagnostics import run_dirs
from diagnostics.errors import ReaderError
from diagnostics.files import kind, shown
from diagnostics.messages import Msg
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
            problems.append(FileProblem(root_name, Msg("folder.too_many", n=MAX_FOLDERS)))
            break
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            problems.append(FileProblem(where, Msg("folder.not_readable", why=_why(err))))
            continue
        subfolders = []
        for entry in entries:
            name_shown = f"{where}/{shown(entry.name)}"
            try:
                is_link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    if run_dirs.searched(entry.name):
                        subfolders.append((Path(entry.path), name_shown, depth + 1))
                    continue
            except OSError as err:
                problems.append(FileProblem(name_shown, Msg("file.cannot_read", why=_why(err))))
                continue
            if is_link:
                _linked(folder, entry, name_shown, real_root, problems, found)
            elif run_dirs.is_event_file(entry.name):
                _plain(folder, entry, name_shown, problems, found)
            if len(found) > limits.max_files:
                raise ReaderError(root_name, Msg("limits.files", n=limits.max_files))
        if subfolders and depth >= limits.max_depth:
            problems.append(FileProblem(where, Msg("folder.too_deep", n=limits.max_depth)))
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
        problems.append(FileProblem(name_shown, Msg("file.cannot_read", why=_why(err))))
        return
    if not stat.S_ISREG(st.st_mode):
        problems.append(FileProblem(name_shown, Msg("file.not_regular", kind=kind(st.st_mode))))
        return
    found.append(_Candidate(folder, entry.name, name_shown, False, (st.st_dev, st.st_ino), st.st_size))


def _linked(folder: Path, entry: os.DirEntry, name_shown: str, real_root: str, problems: list[FileProblem],
            found: list[_Candidate]) -> None:
    """A symlink: followed only to a regular event file inside the root; a folder is never
    followed (reported when it leads outside); a broken one is reported when named like an
    event file."""
    event = run_dirs.is_event_file(entry.name)
    try:
        st = os.stat(entry.path)
        target = os.path.realpath(entry.path)
    except (OSError, ValueError) as err:
        if event:  # a broken or looping link
            problems.append(FileProblem(name_shown, Msg("file.cannot_read", why=_why(err))))
        return
    inside = os.path.commonpath([real_root, target]) == real_root
    if stat.S_ISDIR(st.st_mode):
        if not inside:
            problems.append(FileProblem(name_shown, Msg("link.folder_outside")))
        return
    if not event:
        return
    if not inside:
        problems.append(FileProblem(name_shown, Msg("link.file_outside")))
    elif not stat.S_ISREG(st.st_mode):
        problems.append(FileProblem(name_shown, Msg("file.not_regular", kind=kind(st.st_mode))))
    else:
        found.append(_Candidate(folder, entry.name, name_shown, True, (st.st_dev, st.st_ino), st.st_size))


def _unique(found: list[_Candidate], root_name: str, limits, problems: list[FileProblem]) -> dict[Path, list[str]]:
    """Each file once (its plain name before a link's), within the byte limit."""
    first: dict[tuple[int, int], _Candidate] = {}
    for c in sorted(found, key=lambda c: c.link):  # stable: walk order among plain names, then links
        if c.key in first:
            problems.append(FileProblem(c.shown, Msg("file.same_as", other=first[c.key].shown)))
        else:
            first[c.key] = c
    folders: dict[Path, list[str]] = {}
    size = 0
    for c in found:
        if first.get(c.key) is not c:
            continue
        size += c.size
        if size > limits.max_bytes:
            raise ReaderError(root_name, Msg("limits.bytes", n=limits.max_bytes))
        folders.setdefault(c.folder, []).append(c.name)
    return folders
