"""Background jobs: each training run in its own process, one queue per runs root, on disk.

The UI never trains in its own process. A job is `python -m <module> <args>` started in a new
session (so a crash of either side, or a Ctrl-C in the terminal that started the UI, does not
take the other down), with stdout/stderr in `<run>/job.log`. The registry is plain files under
`<root>/.jobs/`: one JSON per job, replaced atomically, changed only under an fcntl lock, so two
UI sessions, or a UI restarted after a reboot, see the same queue. There is no daemon: whoever
calls `JobQueue.poll()` (the UI's timed fragment, a CLI, a test) refreshes states and starts
queued jobs while fewer than `max_parallel` run, and every job's own process does the same as
it ends (`trainers.job_runner`), so the queue drains with nobody watching. The run folder
stays the truth about the run: a finished process's outcome is read from the `status.json`
the trainer wrote, so a job that died with nobody watching (kill -9, reboot) is still judged
right by the next poll.

`python -m trainers.jobs CONFIG.json RUN_DIR` is the child entry for `submit_train`: it trains
into a folder chosen before the process starts, so lineage and the UI know it up front.
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

QUEUED, RUNNING, DONE, DIVERGED, FAILED, CANCELLED = (
    "queued", "running", "done", "diverged", "failed", "cancelled")
FINISHED = frozenset({DONE, DIVERGED, FAILED, CANCELLED})
# The trainer's (or repair's) own final states -> the job's outcome. "diverged" is a run that
# ended as designed but with a problem: the UI shows it as done-with-a-warning, not a crash.
# "stopped" (Ctrl-C in the child) and anything else unfinished count as failed unless cancelled.
_OUTCOME = {"done": DONE, "early_stopped": DONE, "diverged": DIVERGED}
KILL_GRACE_S = 3.0


@dataclass(frozen=True)
class Job:
    id: str
    module: str  # the child runs `python -m <module> <args>`
    args: tuple[str, ...]
    run_dir: str  # the folder the job writes into, known before it starts
    kind: str = "train"  # train | rerun | repair (for the UI's labels only)
    label: str = ""
    state: str = QUEUED
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    pid: int | None = None
    proc_start: int | None = None  # /proc start time: tells our child from a reused pid
    returncode: int | None = None
    error: str = ""
    status_file: str = "status.json"  # inside run_dir: progress and the final state
    log_file: str = "job.log"  # inside run_dir

    @property
    def log_path(self) -> Path:
        return Path(self.run_dir) / self.log_file

    @property
    def status_path(self) -> Path:
        return Path(self.run_dir) / self.status_file

    def progress(self) -> dict[str, Any]:
        """The run's own status.json (epoch/epochs, step/total_steps, ...), {} before it exists."""
        return read_json(self.status_path) or {}

    def fraction(self) -> float | None:
        """0..1 through the run (steps, else epochs), None when not known yet."""
        p = self.progress()
        for done, total in (("step", "total_steps"), ("epoch", "epochs")):
            if isinstance(p.get(done), (int, float)) and p.get(total):
                return max(0.0, min(1.0, p[done] / p[total]))
        return None

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16_384))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["args"] = list(self.args)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["args"] = tuple(d.get("args", ()))
        return cls(**d)


class JobQueue:
    """The queue of one runs root. Cheap to construct: all state lives on disk."""

    def __init__(self, root: str | os.PathLike[str], max_parallel: int | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / ".jobs"
        self.dir.mkdir(parents=True, exist_ok=True)
        if max_parallel is not None:
            self.set_max_parallel(max_parallel)

    # ---- settings ----------------------------------------------------------------------
    @property
    def max_parallel(self) -> int:
        """How many jobs run at once (default 1: one GPU box trains one run at a time)."""
        value = (read_json(self.dir / "settings.json") or {}).get("max_parallel", 1)
        return value if isinstance(value, int) and value >= 1 else 1

    def set_max_parallel(self, n: int) -> None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"max_parallel: must be an integer >= 1, got {n!r}")
        with self._locked():
            settings = read_json(self.dir / "settings.json") or {}
            write_json(self.dir / "settings.json", {**settings, "max_parallel": n})

    # ---- submitting --------------------------------------------------------------------
    def submit(self, module: str, args: Sequence[str], *, run_dir: str | os.PathLike[str],
               kind: str = "train", label: str = "", status_file: str = "status.json",
               log_file: str = "job.log") -> Job:
        """Queue `python -m module args` writing into run_dir; starts it now if a slot is free."""
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        job = Job(id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}", module=module,
                  args=tuple(str(a) for a in args), run_dir=str(Path(run_dir).resolve()),
                  kind=kind, label=label, created=time.time(), status_file=status_file,
                  log_file=log_file)
        with self._locked():
            self._save(job)
        self.poll()
        return self.get(job.id)

    def submit_train(self, config: Any, name: str | None = None, *,
                     run_dir: str | os.PathLike[str] | None = None, kind: str = "train",
                     label: str = "") -> Job:
        """Train a `TrainConfig` in the background, into `run_dir` (an existing folder, e.g.
        a re-run's with its lineage.json) or else a new folder `<root>/<name>[-n]`."""
        if run_dir is None:
            run_dir = reserve_run_dir(self.root, name or "run")
        cfg = Path(run_dir) / "job-config.json"  # the input; the trainer writes config.json
        _atomic_write(cfg, config.to_json())
        return self.submit("trainers.jobs", [str(cfg), str(run_dir)], run_dir=run_dir,
                           kind=kind, label=label or Path(run_dir).name)

    # ---- reading -----------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        data = read_json(self.dir / f"{job_id}.json")
        if data is None:
            raise KeyError(f"no job {job_id!r} under {self.root}")
        return Job.from_dict(data)

    def jobs(self) -> list[Job]:
        """All jobs, oldest first (without refreshing: call poll() for fresh states)."""
        out = []
        for path in self.dir.glob("*.json"):
            data = read_json(path)
            if data and "module" in data:
                out.append(Job.from_dict(data))
        return sorted(out, key=lambda j: (j.created, j.id))

    def job_for_run(self, run_dir: str | os.PathLike[str]) -> Job | None:
        target = str(Path(run_dir).resolve())
        return next((j for j in reversed(self.jobs()) if j.run_dir == target), None)

    # ---- the pump ----------------------------------------------------------------------
    def poll(self) -> list[Job]:
        """Settle jobs whose process ended, then start queued jobs while slots are free."""
        with self._locked():
            jobs = self.jobs()
            for i, job in enumerate(jobs):
                if job.state == RUNNING and not _alive(job.pid, job.proc_start):
                    jobs[i] = self._settle(job)
            free = self.max_parallel - sum(j.state == RUNNING for j in jobs)
            for i, job in enumerate(jobs):
                if free <= 0:
                    break
                if job.state == QUEUED:
                    jobs[i] = self._start(job)
                    free -= jobs[i].state == RUNNING
            return jobs

    def hand_off(self, job_id: str, returncode: int) -> list[Job]:
        """Called by a job's own process as it ends (`trainers.job_runner`): settle that job,
        then start queued jobs in the slot it frees, with nobody else polling."""
        with self._locked():
            job = self.get(job_id)
            if job.state == RUNNING:
                self._settle(replace(job, returncode=returncode))
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
            self._save(job)
        if was_running and _alive(job.pid, job.proc_start):
            _kill_group(job.pid, job.proc_start)
        return job

    # ---- internals ---------------------------------------------------------------------
    def _start(self, job: Job) -> Job:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONUNBUFFERED": "1"}
        # The child must import this project, wherever the UI was started from.
        repo = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
        try:
            Path(job.run_dir).mkdir(parents=True, exist_ok=True)
            with open(job.log_path, "ab") as log:
                # The runner runs `python -m <module> <args>` in-process, then hands off.
                proc = subprocess.Popen(
                    [sys.executable, "-m", "trainers.job_runner", str(self.root.resolve()), job.id],
                    cwd=repo, env=env,
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            # `with` closed our copy of the log handle: only the child holds it now.
        except OSError as e:
            job = replace(job, state=FAILED, finished=time.time(), error=f"could not start: {e}")
            self._save(job)
            return job
        job = replace(job, state=RUNNING, started=time.time(), pid=proc.pid,
                      proc_start=_proc_start(proc.pid))
        self._save(job)
        # Reap the child when it ends (else it lingers as a zombie) and settle it promptly.
        threading.Thread(target=self._reap, args=(proc, job.id), daemon=True,
                         name=f"reap-{job.id}").start()
        return job

    def _reap(self, proc: subprocess.Popen[bytes], job_id: str) -> None:
        code = proc.wait()
        with self._locked():
            job = self.get(job_id)
            job = replace(job, returncode=code)
            self._save(self._settle(job) if job.state == RUNNING else job)

    def _settle(self, job: Job) -> Job:
        """A running job whose process is gone: its outcome, from what the run left on disk."""
        final = str(job.progress().get("state", ""))
        state = _OUTCOME.get(final, FAILED)
        error = ""
        if state == FAILED:
            code = job.returncode
            if code is None:  # nobody saw it end: the launching session is gone too
                why = "killed, crashed or machine restarted"
            elif code < 0:
                why = f"killed by {signal.Signals(-code).name}"
            else:
                why = f"exit code {code}"
            error = f"process ended before the run finished ({why})"
            last = job.log_tail(1).strip()
            error += f"; log: {last}" if last else ""
        job = replace(job, state=state, finished=time.time(), error=error)
        self._save(job)
        return job

    def _save(self, job: Job) -> None:
        write_json(self.dir / f"{job.id}.json", job.to_dict())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # flock is released by the kernel if the holder dies: no stale locks after a crash.
        with open(self.dir / "lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def run_state(run_dir: str | os.PathLike[str]) -> str | None:
    """A run's state for display: its job's state when a queue under the folder holding it
    ran it (cancelled, failed), else the trainer's status.json, where a "running" run whose
    process is gone (killed with nobody watching) reads "failed". None: not our trainer's."""
    run_dir = Path(run_dir).resolve()
    if (run_dir.parent / ".jobs").is_dir():
        job = JobQueue(run_dir.parent).job_for_run(run_dir)
        if job is not None and job.state != RUNNING:
            return job.state
    status = read_json(run_dir / "status.json")
    if status is None:
        return None
    state = status.get("state")
    if state == "running" and not _alive(status.get("pid"), None):
        return FAILED
    return state if isinstance(state, str) else None


def reserve_run_dir(root: str | os.PathLike[str], name: str) -> Path:
    """A new, empty run folder `<root>/<name>` (or `<name>-2`, ...): mkdir is atomic, so two
    sessions asking for the same name at once still get different folders."""
    Path(root).mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = Path(root) / (name if n == 1 else f"{name}-{n}")
        try:
            path.mkdir()
            return path.resolve()
        except FileExistsError:
            continue
    raise RuntimeError(f"no free run folder name for {name!r} under {root}")


# ---- processes -------------------------------------------------------------------------------
def _proc_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _alive(pid: int | None, proc_start: int | None) -> bool:
    """Is `pid` still our child? A zombie, a vanished pid or a reused pid all count as dead."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): the best we can do is "a process has this pid"
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    rest = stat.rsplit(")", 1)[1].split()
    if rest[0] in ("Z", "X"):
        return False
    return proc_start is None or int(rest[19]) == proc_start


def _kill_group(pid: int, proc_start: int | None) -> None:
    """SIGTERM the job's process group (it leads its own session), SIGKILL after a grace."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid, proc_start):
                return
            time.sleep(0.05)


# ---- files ---------------------------------------------------------------------------------
def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    _atomic_write(path, json.dumps(data, indent=1))


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def train_into(config: Any, run_dir: str | os.PathLike[str], *, progress: bool = True) -> Any:
    """Train into a folder the caller chose (it may already hold lineage.json and job.log):
    a job must know its run folder before the process starts."""
    from trainers.loop import train

    run_dir = Path(run_dir)
    return train(config, run_dir.parent, progress=progress, run_dir=run_dir)


def _train_entry(argv: list[str]) -> int:
    """Child entry of `submit_train`: train CONFIG.json into RUN_DIR (already created)."""
    if len(argv) != 2:
        print("usage: python -m trainers.jobs CONFIG.json RUN_DIR", file=sys.stderr)
        return 2
    from trainers.config import TrainConfig

    config = TrainConfig.from_json(Path(argv[0]).read_text(encoding="utf-8"))
    # cancel() sends SIGTERM: as SystemExit the trainer records "stopped" in status.json.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    result = train_into(config, argv[1], progress=False)
    print(result.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(_train_entry(sys.argv[1:]))
