"""The job registry's files under `<root>/.jobs/`: entries, the lock, run slots, quarantine.

Trust model: everything here may have been written by someone else. `.jobs` must be a real
folder of the runs root (a symlink to elsewhere is refused: UnsafeRegistry). Entries are opened
with `confine.open_file` (no symlinks, regular files only, size cap) and checked by
`job_entry.job_from_entry`; an entry that fails is moved to `.jobs/quarantine/` with a one-line
`<name>.why` beside it, which the Jobs page shows, and is never used. The lock and slot files
are opened the same way: a folder, link or FIFO planted under their names is quarantined and
replaced, so no single bad name can wedge the queue. All writes are atomic replaces
(`confine.atomic_write`).

Run slots: a job's process holds an flock on one `slot-N.lock` for its whole life (the
descriptor is inherited; the kernel drops the lock when the process and its children are gone).
Held slots count the jobs that really run, whatever the entries say: a running job whose entry
was truncated still holds its slot, so no second job starts beside it.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trainers.confine import atomic_write, open_file, parse_json, read_bytes, read_json
from trainers.job_entry import job_from_entry
from trainers.job_record import JOB_ID, BadEntry, Job

MAX_PARALLEL = 16  # slots: more would only oversubscribe a box (and bounds a hostile setting)
ENTRY_LIMIT = 256 * 1024  # bytes: a job entry is ~1 KB
QUARANTINE = "quarantine"
_OWN_FILES = {"settings.json"}  # .json files of the registry that are not job entries


class UnsafeRegistry(OSError):
    """The registry folder cannot be used safely (a symlink, not a folder); one line."""


class Registry:
    """The files of one runs root's queue (`<root>/.jobs/`, made if missing). Raises
    UnsafeRegistry when `.jobs` is a symlink (to a folder elsewhere) or not a folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        Path(root).mkdir(parents=True, exist_ok=True)
        self.root = Path(root).resolve()
        self.dir = self.root / ".jobs"
        try:
            self.dir.mkdir()
        except FileExistsError:
            pass
        if not stat.S_ISDIR(os.lstat(self.dir).st_mode):  # lstat: a link to a folder is no folder
            raise UnsafeRegistry(f"{self.dir} is a symbolic link or not a folder: not used")

    # ---- entries -----------------------------------------------------------------------
    def scan(self) -> tuple[list[Job], list[tuple[str, str]]]:
        """(valid jobs oldest first, [(file name, one-line reason)] of bad entries)."""
        try:
            names = sorted(os.listdir(self.dir))
        except OSError:
            return [], []
        jobs, bad = [], []
        for name in names:
            if not name.endswith(".json") or name.startswith(".") or name in _OWN_FILES:
                continue
            try:
                job = self.load(name)
            except BadEntry as e:
                bad.append((name, str(e)))
                continue
            if job is not None:
                jobs.append(job)
        return sorted(jobs, key=lambda j: (j.created, j.id)), bad

    def load(self, name: str) -> Job | None:
        """The job of entry `name` ("<id>.json"); None if it is gone; BadEntry if unusable."""
        try:
            fd = open_file(self.dir / name)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise BadEntry(_unreadable(e)) from None
        try:
            if os.fstat(fd).st_nlink > 1:  # a hard link to some other file, not our entry
                raise BadEntry("a hard link, not a job file")
            data = os.read(fd, ENTRY_LIMIT + 1)
        except OSError as e:
            raise BadEntry(_unreadable(e)) from None
        finally:
            os.close(fd)
        if len(data) > ENTRY_LIMIT:
            raise BadEntry(f"larger than {ENTRY_LIMIT // 1024} KB: not a job file")
        try:
            value = parse_json(data)
        except ValueError as e:
            cut = " (truncated?)" if isinstance(e, json.JSONDecodeError) else ""
            raise BadEntry(f"not valid JSON{cut}: {_one_line(e)}") from None
        try:
            return job_from_entry(value, name[:-len(".json")], self.root)
        except BadEntry:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. RecursionError on absurdly nested values
            raise BadEntry(f"unusable entry ({type(e).__name__})") from None

    def load_id(self, job_id: str) -> Job | None:
        """The job with this id; None when there is no such (valid) entry. BadEntry if bad."""
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            return None
        return self.load(f"{job_id}.json")

    def save(self, job: Job) -> None:
        atomic_write(self.dir / f"{job.id}.json", json.dumps(job.to_dict(), indent=1))

    # ---- quarantine --------------------------------------------------------------------
    def quarantine(self, name: str, reason: str) -> None:
        """Move `.jobs/<name>` aside with its reason; never raises (a read-only registry keeps
        the entry where it is, and the scan reports it again)."""
        try:
            folder = self._quarantine_dir()
            moved = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}-{name}"
            os.rename(self.dir / name, folder / moved)
            atomic_write(folder / f"{moved}.why", f"{_one_line(reason)}\n")
        except OSError:
            pass

    def quarantined(self, limit: int = 50) -> list[tuple[str, str]]:
        """[(original name, reason)] of quarantined entries, newest first."""
        folder = self.dir / QUARANTINE
        try:
            if os.path.islink(folder):
                return []
            whys = sorted((n for n in os.listdir(folder) if n.endswith(".why")), reverse=True)
        except OSError:
            return []
        out = []
        for why in whys[:limit]:
            text = (read_bytes(folder / why, 1000) or b"").decode("utf-8", "replace")
            name = _QUARANTINED.sub("", why[:-len(".why")])
            out.append((shown_name(name), _one_line(text) or "—"))
        return out

    def _quarantine_dir(self) -> Path:
        folder = self.dir / QUARANTINE
        if os.path.islink(folder) or (folder.exists() and not folder.is_dir()):
            os.unlink(folder)  # a name inside our own registry: the link goes, not its target
        folder.mkdir(exist_ok=True)
        return folder

    # ---- the lock and the run slots ----------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """The registry lock (flock: the kernel releases it if the holder dies)."""
        fd = self._own_file("lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def take_slot(self, max_parallel: int) -> int | None:
        """A descriptor holding a free run slot (the caller passes it to the job's process and
        closes its own copy), None when all `max_parallel` are held."""
        for i in range(min(max_parallel, MAX_PARALLEL)):
            fd = self._own_file(f"slot-{i}.lock")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        return None

    def held_slots(self) -> int:
        """How many job processes are alive now, by their slots (not by what entries say)."""
        held = 0
        for i in range(MAX_PARALLEL):
            try:
                fd = open_file(self.dir / f"slot-{i}.lock")
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held += 1
            finally:
                os.close(fd)
        return held

    def _own_file(self, name: str) -> int:
        """Open (creating) one of the registry's plain files; whatever else was planted under
        its name (a folder, a link, a FIFO) is quarantined first."""
        path = self.dir / name
        try:
            return open_file(path, os.O_RDWR | os.O_CREAT)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EROFS, errno.ENOSPC, errno.EPERM):
                raise
            self.quarantine(name, f"{_unreadable(e, 'our ' + name)}: replaced by a new one")
        return open_file(path, os.O_RDWR | os.O_CREAT)

    # ---- settings ----------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return read_json(self.dir / "settings.json", 64 * 1024) or {}

    def save_settings(self, settings: dict[str, Any]) -> None:
        path = self.dir / "settings.json"
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            self.quarantine("settings.json", "not a regular file: replaced by new settings")
        atomic_write(path, json.dumps(settings, indent=1))


_QUARANTINED = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}-")


def _unreadable(e: OSError, what: str = "a job file") -> str:
    if e.errno == errno.ELOOP:
        return f"a symbolic link, not {what}"
    if isinstance(e, IsADirectoryError) or e.errno in (errno.EISDIR, errno.ENXIO):
        return f"a folder, FIFO or device, not {what}"
    return f"unreadable ({e.strerror or type(e).__name__})"


def shown_name(name: str) -> str:
    """A file name as one line of valid text (names are bytes: a page cannot show them all)."""
    return _one_line(name.encode("utf-8", "replace").decode("utf-8"))


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:300]
