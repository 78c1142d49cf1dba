"""The operating-system side of jobs: starting a job's process and its watcher, telling our
job's process from any other, waiting for a process to end, stopping a process group.

Trust model: a pid read from a job entry may name any process. Before the queue counts a job
as alive or signals it, `is_job_process` checks in /proc that the pid runs `trainers.job_runner`
for this runs root and this job id (and started when the entry says), so a planted pid can
neither keep a slot busy forever nor make Cancel kill someone else's processes.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNNER = "trainers.job_runner"
WATCHER = "trainers.job_watch"
JOB_ENV = "RUN_DOCTOR_JOB"  # the checked entry, handed from the queue to the job's process
KILL_GRACE_S = 3.0
EXEC_WAIT_S = 5.0  # at most this long a new job process may take to show in /proc as its job's


def _child_env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    # The child must import this project, wherever the UI was started from.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def spawn_runner(root: Path, job: dict[str, object], slot_fd: int,
                 log_fd: int) -> subprocess.Popen[bytes]:
    """The job's process, leading its own session (a crash or Ctrl-C of either side does not
    take the other down), holding the run slot `slot_fd`, writing to `log_fd`. The checked
    entry `job` goes along in the environment: the process runs what was checked, even if the
    file is damaged before it starts.

    It returns once /proc shows the process as this job's (`is_job_process`): Popen returns
    while the child's execve is still under way, and until it has set up the new command line
    the kernel shows an empty one (for tens of ms on a busy box). The queue records the pid as
    soon as this returns, and a pump of that instant would take the new job for a dead one."""
    proc = subprocess.Popen(
        [sys.executable, "-m", RUNNER, str(root), str(job["id"]), str(slot_fd)], cwd=REPO,
        env={**_child_env(), JOB_ENV: json.dumps(job)}, stdin=subprocess.DEVNULL,
        stdout=log_fd, stderr=subprocess.STDOUT, pass_fds=(slot_fd,), start_new_session=True)
    deadline = time.monotonic() + EXEC_WAIT_S
    while not is_job_process(proc.pid, None, root, str(job["id"])):
        if proc.poll() is not None or time.monotonic() > deadline:  # it ended (or never shows)
            break
        time.sleep(0.001)
    return proc


def spawn_watcher(root: Path, pid: int) -> None:
    """`trainers.job_watch`: in a session of its own (killing the job's group spares it), it
    waits for `pid` to end and pumps the queue once. Best effort: polls still settle jobs."""
    try:
        proc = subprocess.Popen([sys.executable, "-m", WATCHER, str(root), str(pid)], cwd=REPO,
                                env=_child_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError:
        return
    reap(proc)


def reap(proc: subprocess.Popen[bytes], then: Callable[[int], None] | None = None) -> None:
    """Wait for our child in a daemon thread (else it lingers as a zombie), then `then(code)`."""
    def wait() -> None:
        code = proc.wait()
        if then is not None:
            then(code)

    threading.Thread(target=wait, daemon=True, name=f"reap-{proc.pid}").start()


def proc_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None where unknown."""
    stat = _read_proc(pid, "stat")
    return int(stat.rsplit(b")", 1)[1].split()[19]) if stat else None


def pid_alive(pid: object) -> bool:
    """Is there a live (not zombie) process with this pid? For display only: nothing is sent."""
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 1 << 22:
        return False
    stat = _read_proc(pid, "stat")
    if stat is None:
        return _exists(pid)
    return stat.rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")


def is_job_process(pid: int | None, start: int | None, root: Path, job_id: str) -> bool:
    """Is `pid` alive and the job process of job `job_id` of the queue at `root`?"""
    if not pid:
        return False
    stat, cmdline = _read_proc(pid, "stat"), _read_proc(pid, "cmdline")
    if stat is None or cmdline is None:
        return not Path("/proc/self").exists() and _exists(pid)  # no /proc: the best we can do
    rest = stat.rsplit(b")", 1)[1].split()
    if rest[0] in (b"Z", b"X") or (start is not None and int(rest[19]) != start):
        return False
    args = cmdline.split(b"\0")
    if RUNNER.encode() not in args:
        return False
    i = args.index(RUNNER.encode())
    return args[i + 1:i + 3] == [str(root).encode(), job_id.encode()]


def wait_for_exit(pid: int, timeout: float | None = None) -> bool:
    """Block until `pid` has ended (an event: pidfd, no polling where Linux has it); False if it
    still runs after `timeout`."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    except (AttributeError, OSError):  # no pidfd (old kernel, not Linux): look every 0.2 s
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid_alive(pid):
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def kill_group(pid: int, start: int | None, root: Path, job_id: str) -> None:
    """SIGTERM the job's process group (it leads its own session), SIGKILL after a grace;
    only while `pid` is still that job's process."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 0.0)):
        if not is_job_process(pid, start, root, job_id):
            return
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        wait_for_exit(pid, grace)


def _read_proc(pid: int, name: str) -> bytes | None:
    try:
        with open(f"/proc/{int(pid)}/{name}", "rb") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False


def signal_name(number: int) -> str:
    """SIGKILL, SIGTERM, ... for a signal number; "signal N" for one Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
