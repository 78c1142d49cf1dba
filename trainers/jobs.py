"""Background jobs: each training run in its own process, one queue per runs root, on disk.

The UI never trains in its own process. The registry is plain files under `<root>/.jobs/`
(`trainers.job_registry`): one JSON per job, replaced atomically, changed only under an flock,
so two UI sessions, or a UI restarted after a reboot, see the same queue. `JobQueue.poll()`
settles jobs whose process ended and starts queued jobs while fewer than `max_parallel` run.
Nobody has to call it for the queue to drain: every job's process hands off to the next as it
ends (`trainers.job_runner`), and a small watcher started beside each job
(`trainers.job_watch`) pumps the queue when the job's process dies without handing off
(kill -9, OOM). The run folder stays the truth about the run: a finished process's outcome is
read from the status file the trainer (or auto-repair) wrote.

Trust model: the runs root is shared storage, so the registry is data, not instructions. A job
runs only our own entry points with arguments built from checked fields (`trainers.job_record`, `trainers.job_entry`);
every path in an entry must resolve inside the runs root; an entry that fails a check is
quarantined with a one-line reason (`rejected()`), never raised; a pid from an entry is
signalled only once /proc shows it is that job's process (`trainers.job_process`); how many
jobs run is counted by kernel-held run slots, not by entries. `poll()` never raises.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from diagnostics.messages import Msg, as_msg
from trainers import job_process
from trainers.confine import OutsideRoot, atomic_write, check_run_folder, open_file
from trainers.job_entry import job_from_entry
from trainers.job_record import (  # noqa: F401 - the queue's public names live here too
    CANCELLED,
    CONFIG_FILE,
    DIVERGED,
    DONE,
    EARLY_STOPPED,
    FAILED,
    FINISHED,
    OVER,
    QUEUED,
    RUNNING,
    STOPPED,
    USABLE,
    BadEntry,
    Job,
    RepairTask,
    RunState,
    error_line,
    run_state_of,
)
from trainers.job_registry import MAX_PARALLEL, Registry, UnsafeRegistry, shown_name  # noqa: F401
from trainers.run_files import read_json, reserve_run_dir, write_json  # noqa: F401 - public here too
from trainers.run_status import latest_jobs, run_state  # noqa: F401 - public here too
from trainers.train_job import train_into  # noqa: F401 - imported from here by callers

# The trainer's (or repair's) own final states -> the job's outcome. "diverged" is a run that
# ended as designed but with a problem: the UI shows it as done-with-a-warning, not a crash.
# "stopped" (Ctrl-C in the child) and anything else unfinished count as failed unless cancelled.
_OUTCOME = {"done": DONE, "early_stopped": DONE, "diverged": DIVERGED}


class JobQueue:
    """The queue of one runs root. Cheap to construct: all state lives on disk.

    Raises UnsafeRegistry (an OSError) when `<root>/.jobs` is a symlink or not a folder."""

    def __init__(self, root: str | os.PathLike[str], max_parallel: int | None = None) -> None:
        self.registry = Registry(root)
        self.root, self.dir = self.registry.root, self.registry.dir
        self.trouble = ""  # why the last poll() could not pump (a read-only folder, ...)
        if max_parallel is not None:
            self.set_max_parallel(max_parallel)

    # ---- settings ----------------------------------------------------------------------
    @property
    def max_parallel(self) -> int:
        """How many jobs run at once (default 1: one GPU box trains one run at a time; with
        RUN_DOCTOR_EXECUTOR=ray, 8: each job's process only waits for its Ray task, and Ray
        places the trainings on the cluster's CPUs and GPUs)."""
        default = 8 if os.environ.get("RUN_DOCTOR_EXECUTOR", "").strip().lower() == "ray" else 1
        value = self.registry.settings().get("max_parallel", default)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        return min(value, MAX_PARALLEL) if ok else 1

    def set_max_parallel(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_PARALLEL:
            raise ValueError(f"max_parallel: must be an integer in [1, {MAX_PARALLEL}], got {n!r}")
        with self._locked():
            self.registry.save_settings({**self.registry.settings(), "max_parallel": n})

    # ---- submitting --------------------------------------------------------------------
    def submit(self, kind: str, *, run_dir: str | os.PathLike[str], label: str = "",
               repair: RepairTask | None = None) -> Job:
        """Queue a job of one of our kinds writing into run_dir (a train/rerun job trains the
        folder's job-config.json); starts it now if a slot is free. ValueError (BadEntry) if the
        job would not pass the checks every entry passes, e.g. a folder outside the root."""
        job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        entry = {"id": job_id, "kind": kind, "run_dir": str(Path(run_dir).resolve()),
                 "label": label, "state": QUEUED, "created": time.time(),
                 "repair": asdict(repair) if repair is not None else None}
        job = job_from_entry(entry, job_id, self.root)
        Path(job.run_dir).mkdir(parents=True, exist_ok=True)
        with self._locked():
            self.registry.save(job)
        self.poll()
        return self.get(job.id)

    def submit_train(self, config: Any, name: str | None = None, *,
                     run_dir: str | os.PathLike[str] | None = None, kind: str = "train",
                     label: str = "") -> Job:
        """Train a `TrainConfig` in the background, into `run_dir` (an existing folder, e.g.
        a re-run's with its lineage.json) or else a new folder `<root>/<name>[-n]`."""
        if run_dir is None:
            run_dir = reserve_run_dir(self.root, name or "run")
        atomic_write(Path(run_dir) / CONFIG_FILE, config.to_json())
        return self.submit(kind, run_dir=run_dir, label=label or Path(run_dir).name)

    # ---- reading -----------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        try:
            job = self.registry.load_id(job_id)
        except BadEntry as e:
            raise KeyError(f"job {job_id!r} under {self.root} is unusable: {e}") from None
        if job is None:
            raise KeyError(f"no job {job_id!r} under {self.root}")
        return job

    def jobs(self) -> list[Job]:
        """All valid jobs, oldest first (without refreshing: call poll() for fresh states)."""
        return self.registry.scan()[0]

    def rejected(self) -> list[tuple[str, str]]:
        """[(entry name, one-line reason)]: entries not used, newest quarantined first, then
        bad entries that could not be moved (a read-only registry) and a failed pump."""
        out = self.registry.quarantined()
        out += [(shown_name(name), reason) for name, reason in self.registry.scan()[1]]
        return out + ([("poll", self.trouble)] if self.trouble else [])

    def job_for_run(self, run_dir: str | os.PathLike[str]) -> Job | None:
        """The run's newest job, looked up in the queue's index (`run_status.INDEX`: the job
        files are read once per change, not once per run asked about)."""
        return latest_jobs(self.root).get(str(Path(run_dir).resolve()))

    # ---- the pump ----------------------------------------------------------------------
    def poll(self) -> list[Job]:
        """Quarantine bad entries, settle jobs whose process ended, then start queued jobs
        while slots are free. Never raises: with the registry unusable it returns the jobs as
        they are on disk and says why in `trouble` (shown by `rejected()`)."""
        try:
            with self._locked():
                jobs = self._pump()
            self.trouble = ""
            return jobs
        except Exception as e:  # noqa: BLE001 - shared storage must never take the pages down
            self.trouble = f"the queue could not be updated: {type(e).__name__}: {e}"
            return self.jobs()

    def hand_off(self, job: Job, returncode: int, error: str = "") -> list[Job]:
        """Called by a job's own process as it ends (`trainers.job_runner`), its run slot
        already let go: settle that job (writing its entry again from `job`, the copy it
        started with, if the entry was lost or damaged meanwhile), then start queued jobs."""
        try:
            with self._locked():
                current = self._entry(job.id) or job
                if current.state == RUNNING and current.pid == job.pid:
                    self._settle(replace(current, returncode=returncode), error)
        except Exception as e:  # noqa: BLE001 - the watcher's poll settles it instead
            self.trouble = f"hand-off of {job.id} failed: {type(e).__name__}: {e}"
        return self.poll()

    def wait(self, job_id: str, timeout: float | None = None, every: float = 0.2) -> Job:
        """Poll until the job has finished (for CLIs and tests; the UI polls on a timer)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.poll()
            job = self.get(job_id)
            if job.state in FINISHED:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(every)

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job, or stop a running one (its whole process group)."""
        with self._locked():
            job = self.get(job_id)
            if job.state in FINISHED:
                return job
            was_running = job.state == RUNNING
            job = replace(job, state=CANCELLED, finished=time.time())
            self.registry.save(job)
        if was_running and job.pid is not None:  # kill_group checks it is that job's process
            job_process.kill_group(job.pid, job.proc_start, self.root, job.id)
        return job

    # ---- internals ---------------------------------------------------------------------
    def _pump(self) -> list[Job]:
        jobs, bad = self.registry.scan()
        for name, reason in bad:
            self.registry.quarantine(name, reason)
        for i, job in enumerate(jobs):
            if job.state == RUNNING and not self._alive(job):
                jobs[i] = self._settle(job)
        running = sum(j.state == RUNNING for j in jobs)
        # Slots count processes the entries may not show (an entry truncated while it ran).
        free = self.max_parallel - max(running, self.registry.held_slots())
        for i, job in enumerate(jobs):
            if free <= 0:
                break
            if job.state == QUEUED:
                started = self._start(job)
                if started is None:  # every slot held after all
                    break
                jobs[i] = started
                free -= started.state == RUNNING
        return jobs

    def _alive(self, job: Job) -> bool:
        return job_process.is_job_process(job.pid, job.proc_start, self.root, job.id)

    def _entry(self, job_id: str) -> Job | None:
        """The job's entry, None if gone; a damaged one is quarantined (under the lock)."""
        try:
            return self.registry.load_id(job_id)
        except BadEntry as e:
            self.registry.quarantine(f"{job_id}.json", str(e))
            return None

    def _start(self, job: Job) -> Job | None:
        slot = self.registry.take_slot(self.max_parallel)
        if slot is None:
            return None
        try:
            check_run_folder(job.run_dir, job.root)
            Path(job.run_dir).mkdir(parents=True, exist_ok=True)
            log = open_file(job.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                proc = job_process.spawn_runner(self.root, job.to_dict(), slot, log)
            finally:
                os.close(log)  # only the child holds the log now
        except (OSError, OutsideRoot) as e:
            job = replace(job, state=FAILED, finished=time.time(),
                          error=Msg("job.could_not_start", why=as_msg(e) or str(e)))
            self.registry.save(job)
            return job
        finally:
            os.close(slot)  # the job's process holds the slot from here on
        job = replace(job, state=RUNNING, started=time.time(), pid=proc.pid,
                      proc_start=job_process.proc_start(proc.pid))
        self.registry.save(job)
        # Settle it with its exit code when it ends while we live; the watcher covers the rest.
        job_process.reap(proc, lambda code: self._settle_exited(job, code))
        job_process.spawn_watcher(self.root, proc.pid)
        return job

    def _settle_exited(self, started: Job, code: int) -> None:
        try:
            with self._locked():
                job = self._entry(started.id)
                if job is not None and job.state == RUNNING and job.pid == started.pid:
                    self._settle(replace(job, returncode=code))
        except Exception:  # noqa: BLE001 - a reaper thread has nobody to report to
            pass

    def _settle(self, job: Job, reported: str = "") -> Job:
        """A running job whose process is gone: its outcome, from what the run left on disk."""
        final = str(job.progress().get("state", ""))
        state = _OUTCOME.get(final, FAILED)
        error = ""
        if state == FAILED:
            code = job.returncode
            if code is None:  # nobody saw it end: the launching session is gone too
                why = Msg("job.lost")
            elif code < 0:
                why = Msg("job.signal", signal=job_process.signal_name(-code))
            else:
                why = Msg("job.exit_code", code=code)
            detail = reported or error_line(job.log_tail(40))
            error = Msg("job.ended_detail", why=why, detail=detail) if detail else Msg("job.ended", why=why)
        job = replace(job, state=state, finished=time.time(), error=error)
        self.registry.save(job)
        return job

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self.registry.locked():
            yield


if __name__ == "__main__":  # the entry of earlier versions: `python -m trainers.jobs CFG RUN_DIR`
    import sys

    from trainers.train_job import main

    sys.exit(main(sys.argv[1:]))
