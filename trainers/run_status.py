"""A run's state for display: its job's, else its own status.json (a dead "running" is failed)."""
from __future__ import annotations

import os
from pathlib import Path

from trainers import job_process
from trainers.confine import read_json as _read_confined_json
from trainers.job_record import FAILED, RUNNING, Job, RunState, run_state_of


def latest_jobs(folder: str | os.PathLike[str]) -> dict[str, Job]:
    """{run folder: its newest job} of the queue in `folder`, {} when there is none (or its
    registry is a symlink elsewhere: not ours to read). Never creates a registry."""
    if not (Path(folder) / ".jobs").is_dir():
        return {}
    try:
        from trainers.jobs import JobQueue  # the queue imports this module: late, no cycle

        return {j.run_dir: j for j in JobQueue(folder).jobs()}  # oldest first: the newest wins
    except OSError:
        return {}


def run_state(run_dir: str | os.PathLike[str],
              jobs: dict[str, Job] | None = None) -> RunState | None:
    """A run's state for display: its job's state when a queue under the folder holding it
    ran it (cancelled, failed), else the trainer's status.json, where a "running" run whose
    process is gone (killed with nobody watching) reads "failed". None: not our trainer's.
    `jobs`: `latest_jobs()` of the folder holding it, when the caller asks for many runs."""
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
