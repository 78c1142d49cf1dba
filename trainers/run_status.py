"""A run's state for display: its job's, else its own status.json (a dead "running" is failed).

Job index: a page asks for the state of many runs (the lineage tree, the runs of a verdict, every
re-run button), and each state needs the newest job of that run from the queue beside it. The
queue's job files are read once into `INDEX` and runs are looked up in it: reads grow as runs +
jobs, not runs x jobs. The index of a queue is read again when its `.jobs` folder changed (every
entry is written by an atomic rename, which changes the folder), when that change was too recent
to trust the folder's mtime (a second change within the same clock tick would not show), and at
least every `JobIndex.max_age` seconds (an entry edited in place, a file system with coarse or
cached times): a state shown is at most that old.
"""
from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from trainers import job_process
from trainers.confine import read_json as _read_confined_json
from trainers.job_record import FAILED, RUNNING, Job, RunState, run_state_of


@dataclass(frozen=True)
class _Indexed:
    signature: tuple[int, int, int]  # the `.jobs` folder's (device, inode, mtime)
    read_at: int  # ns
    trusted: bool  # the folder's last change was old enough when read: a later one shows
    jobs: dict[str, Job]


class JobIndex:
    """{queue folder: {run folder: its newest job}}, each queue read once per change."""

    MAX_FOLDERS = 64  # queues remembered (a page looks at one or two)

    def __init__(self, max_age: float = 2.0, racy: float = 1.0) -> None:
        self.max_age_ns = int(max_age * 1e9)  # never older than this: the UI's own poll period
        self.racy_ns = int(racy * 1e9)  # mtimes this close to a read may hide a second change
        self.entries_read = 0  # job files read, for tests and benchmarks
        self._held: dict[str, _Indexed] = {}
        self._lock = threading.Lock()

    def latest(self, folder: str | os.PathLike[str]) -> dict[str, Job]:
        """{run folder: its newest job} of the queue in `folder`; {} when there is none or its
        registry is a symlink elsewhere (not ours to read). Never creates a registry. The dict
        is shared: treat it as read-only."""
        key = os.fspath(folder)
        try:
            st = os.lstat(os.path.join(key, ".jobs"))
        except OSError:
            return {}
        if not stat.S_ISDIR(st.st_mode):  # a link to a folder is no registry of ours
            return {}
        signature, now = (st.st_dev, st.st_ino, st.st_mtime_ns), time.time_ns()
        with self._lock:
            held = self._held.get(key)
        if held is not None and held.trusted and held.signature == signature \
                and 0 <= now - held.read_at < self.max_age_ns:
            return held.jobs
        jobs = self._read(key)
        with self._lock:
            if len(self._held) >= self.MAX_FOLDERS and key not in self._held:
                self._held.clear()
            self._held[key] = _Indexed(signature, now, now - st.st_mtime_ns > self.racy_ns, jobs)
        return jobs

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def _read(self, folder: str) -> dict[str, Job]:
        try:
            from trainers.jobs import JobQueue  # the queue imports this module: late, no cycle

            jobs, bad = JobQueue(folder).registry.scan()
        except OSError:
            return {}
        self.entries_read += len(jobs) + len(bad)
        return {j.run_dir: j for j in jobs}  # oldest first: the newest wins


INDEX = JobIndex()


def latest_jobs(folder: str | os.PathLike[str]) -> dict[str, Job]:
    """{run folder: its newest job} of the queue in `folder` (from `INDEX`), {} when there is
    none (or its registry is a symlink elsewhere: not ours to read). Never creates a registry."""
    return INDEX.latest(folder)


def run_state(run_dir: str | os.PathLike[str],
              jobs: dict[str, Job] | None = None) -> RunState | None:
    """A run's state for display: its job's state when a queue under the folder holding it
    ran it (cancelled, failed), else the trainer's status.json, where a "running" run whose
    process is gone (killed with nobody watching) reads "failed". None: not our trainer's.
    `jobs`: `latest_jobs()` of the folder holding it (by default looked up in `INDEX`)."""
    run_dir = Path(run_dir).resolve()
    job = (latest_jobs(run_dir.parent) if jobs is None else jobs).get(str(run_dir))
    if job is not None and job.state != RUNNING:
        return job.state
    status = _read_confined_json(run_dir / "status.json")
    if status is None:
        return None
    state = run_state_of(status.get("state"))
    if state == RUNNING and not job_process.pid_alive(status.get("pid")):
        return FAILED
    return state
