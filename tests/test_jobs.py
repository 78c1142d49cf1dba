"""Background jobs: real child processes training real (tiny) runs, killed, cancelled, restarted."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from diagnostics.reader import load
from tests.waiting import until
from trainers.config import TrainConfig
from trainers.job_process import RUNNER, is_job_process, proc_start, spawn_runner, wait_for_exit
from trainers.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, run_state, train_into
from trainers.lineage import ancestors
from trainers.rerun import submit_rerun

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LONG = {"epochs": 400}  # tens of seconds: long enough to be killed or cancelled mid-run


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    run = tmp_path_factory.mktemp("parent") / "p"
    train_into(TrainConfig(epochs=2, hist_every=0, log_every=5), run, progress=False)
    return run


@pytest.mark.slow
def test_a_killed_job_is_failed_and_keeps_its_partial_run_and_lineage(tmp_path, parent):
    queue = JobQueue(tmp_path)
    job = submit_rerun(queue, parent, LONG)
    assert job.state == RUNNING and (tmp_path / os.path.basename(job.run_dir)).is_dir()
    until(lambda: job.progress().get("epoch", 0) >= 2, what="epoch 2 in its status.json")
    os.killpg(job.pid, signal.SIGKILL)  # the whole process group, as a crash or OOM would
    assert wait_for_exit(job.pid, timeout=30)
    queue.poll()  # settles it (unless its reaper thread already has)

    job = queue.get(job.id)
    assert job.state == FAILED and "process ended" in job.error
    assert job.progress()["state"] == "running"  # the trainer never got to say otherwise
    assert run_state(job.run_dir) == FAILED  # what the UI and the lineage tree show
    run = load(job.run_dir).runs[0]
    assert len(run.scalar("val/loss")) >= 2  # the partial event file is still readable
    assert ancestors(job.run_dir) == [parent.resolve()]


@pytest.mark.slow
def test_a_restarted_registry_loses_nothing_and_respects_max_parallel(tmp_path, parent):
    # One "UI session" in its own process submits four jobs and exits, leaving them behind.
    session = textwrap.dedent(f"""
        from trainers.jobs import JobQueue
        from trainers.rerun import submit_rerun
        q = JobQueue({str(tmp_path)!r}, max_parallel=2)
        quick = submit_rerun(q, {str(parent)!r}, {{"epochs": 1}})
        q.wait(quick.id, timeout=60)
        for _ in range(3):
            submit_rerun(q, {str(parent)!r}, {LONG!r})
    """)
    subprocess.run([sys.executable, "-c", session], cwd=REPO, check=True, timeout=90)

    queue = JobQueue(tmp_path)  # a new session: state comes from disk only
    assert queue.max_parallel == 2
    quick, a, b, c = queue.poll()
    assert (quick.state, a.state, b.state, c.state) == (DONE, RUNNING, RUNNING, QUEUED)
    assert quick.progress()["state"] == "done" and quick.fraction() == 1.0

    assert queue.cancel(a.id).state == CANCELLED
    assert wait_for_exit(a.pid, timeout=10)
    states = {j.id: j.state for j in queue.poll()}  # the freed slot goes to the queued job
    assert (states[a.id], states[b.id], states[c.id]) == (CANCELLED, RUNNING, RUNNING)

    # b dies while no session that started it is alive to see its exit code (a reboot, OOM)
    os.killpg(b.pid, signal.SIGKILL)
    assert wait_for_exit(b.pid, timeout=10)
    queue.poll()  # settles it (unless its watcher already has)
    assert "killed, crashed or machine restarted" in queue.get(b.id).error
    queue.cancel(c.id)
    assert [j.state for j in queue.poll()] == [DONE, CANCELLED, FAILED, CANCELLED]


@pytest.mark.slow
def test_cancelling_a_queued_job_never_starts_it(tmp_path, parent):
    queue = JobQueue(tmp_path, max_parallel=1)
    running = submit_rerun(queue, parent, LONG)
    waiting = submit_rerun(queue, parent, LONG)
    assert waiting.state == QUEUED
    assert queue.cancel(waiting.id).state == CANCELLED
    queue.cancel(running.id)
    assert queue.get(waiting.id).pid is None and not os.path.exists(
        os.path.join(waiting.run_dir, "job.log"))
    assert queue.get(running.id).state == CANCELLED


@pytest.mark.slow
def test_the_queue_drains_with_nobody_polling(tmp_path, parent):
    # A session queues three runs, one at a time, and goes away (the browser tab closed).
    session = textwrap.dedent(f"""
        from trainers.jobs import JobQueue
        from trainers.rerun import submit_rerun
        q = JobQueue({str(tmp_path)!r}, max_parallel=1)
        for lr in (0.05, 0.02, 0.01):
            submit_rerun(q, {str(parent)!r}, {{"lr": lr}})
    """)
    subprocess.run([sys.executable, "-c", session], cwd=REPO, check=True, timeout=60)
    queue = JobQueue(tmp_path)
    assert [j.state for j in queue.jobs()] == [RUNNING, QUEUED, QUEUED]
    # Only reading the registry (jobs(), never poll()): each job starts the next as it ends.
    until(lambda: [j.state for j in queue.jobs()] == [DONE, DONE, DONE], 60, "three jobs done")
    first, second, third = queue.jobs()
    assert first.finished <= second.started and second.finished <= third.started  # one at a time
    assert all(j.returncode == 0 and j.progress()["state"] == "done" for j in (first, second, third))


@pytest.mark.slow
def test_a_job_that_crashes_is_failed_with_its_error_and_the_next_one_still_starts(tmp_path, parent):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "job-config.json").write_text('{"epochs": "many"}')  # the trainer raises
    session = textwrap.dedent(f"""
        from trainers.jobs import JobQueue
        from trainers.rerun import submit_rerun
        q = JobQueue({str(tmp_path)!r}, max_parallel=1)
        q.submit("train", run_dir={str(tmp_path / "broken")!r})
        submit_rerun(q, {str(parent)!r}, {{"lr": 0.02}})
    """)
    subprocess.run([sys.executable, "-c", session], cwd=REPO, check=True, timeout=60)
    queue = JobQueue(tmp_path)
    until(lambda: [j.state for j in queue.jobs()] == [FAILED, DONE], 60, "both settled")  # nobody polls
    broken, good = queue.jobs()
    assert broken.returncode == 1 and "exit code 1" in broken.error
    # The real error, not the first or last line of the log whatever it is.
    assert broken.error.endswith("ConfigError: epochs: expected an integer, got 'many'")
    assert "Traceback" in broken.log_tail() and "Warning" not in broken.log_tail()  # in its log
    assert good.progress()["state"] == "done"


def test_a_job_process_exits_quickly_with_its_code_its_output_and_its_exit_handlers():
    """`trainers.quick_exit.exit_quickly`, how job processes and `python -m trainers` end:
    the code given, stdout flushed, atexit handlers run (Ray's shutdown, logging's flush)."""
    code = ("import atexit\nfrom trainers.quick_exit import exit_quickly\n"
            "atexit.register(print, 'handler ran')\nprint('unflushed', end=' ')\nexit_quickly(3)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (3, "unflushed handler ran\n", "")


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or not os.path.exists("/proc/self/cmdline"),
                    reason="reads /proc, pins a CPU (Linux)")
def test_a_job_process_shows_as_its_job_from_the_moment_it_is_started(tmp_path):
    """The queue records a job's pid as soon as `spawn_runner` returns, and any pump may look
    at it from then on. Until the new process's execve has finished, the kernel shows it with
    an empty command line (for tens of ms on a busy box): a pump of that instant (the next
    submit, a watcher's or another session's poll) took it for a dead job and failed it as
    lost, while it went on to train. So `spawn_runner` returns only once /proc shows the runner.
    Here the busy box is one CPU shared with the new process: it finishes its exec only when
    this thread lets it."""
    root, cpus = tmp_path.resolve(), os.sched_getaffinity(0)
    log = os.open(tmp_path / "job.log", os.O_WRONLY | os.O_CREAT)
    os.sched_setaffinity(0, {min(cpus)})  # this thread, and the children it starts
    try:
        for i in range(30):
            slot = os.open(tmp_path / "job.log", os.O_RDONLY)  # any descriptor: the runner closes it
            proc = spawn_runner(root, {"id": f"job{i}"}, slot, log)
            try:
                args = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")  # what a pump reads
                assert args[1:5] == [b"-m", RUNNER.encode(), str(root).encode(), f"job{i}".encode()], (i, args)
                assert is_job_process(proc.pid, proc_start(proc.pid), root, f"job{i}")
            finally:
                if proc.poll() is None:  # our own child, not reaped yet: no reused pid
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                os.close(slot)
    finally:
        os.sched_setaffinity(0, cpus)
        os.close(log)


def test_max_parallel_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match="max_parallel"):
        JobQueue(tmp_path, max_parallel=0)


def test_elapsed_time_and_eta_of_a_job_from_its_stamps_and_progress():
    from trainers.jobs import DONE, Job
    from ui import job_time

    running = Job(id="j", run_dir="/r", state=RUNNING, created=0.0, started=100.0)
    assert job_time.elapsed(running, now=160.0) == 60.0
    assert job_time.eta(running, now=160.0, fraction=0.25) == 180.0  # 60 s for a quarter
    assert job_time.eta(running, now=160.0, fraction=0.0) is None  # no pace yet
    done = Job(id="j", run_dir="/r", state=DONE, created=0.0, started=100.0, finished=225.0)
    assert job_time.elapsed(done, now=10_000.0) == 125.0 and job_time.eta(done, fraction=1.0) is None
    assert job_time.elapsed(Job(id="q", run_dir="/r", state=QUEUED)) is None  # not started
    assert [job_time.duration(s) for s in (4, 125, 4800)] == ["4 s", "2 min 05 s", "1 h 20 min"]


def test_a_long_run_name_shows_its_tail():
    from ui import names

    name = "resnet50-imagenet-cosine-warmup5-bs256+lr=0.1"
    assert names.tail(name) == "…" + name[-29:] and names.tail(name).endswith("bs256+lr=0.1")
    assert len(names.tail(name)) == names.TAIL and names.tail("short") == "short"
    assert names.cut([name, "short"]) == [name]


def test_run_states_read_each_job_file_once_not_once_per_run(tmp_path):
    """A page asks for the state of every run (lineage tree, re-run buttons, verdicts): the job
    files are read once into the index (reads grow as runs + jobs, not runs x jobs), and a
    change to the queue shows at the next look."""
    import json
    import time

    from trainers import run_status
    from trainers.confine import atomic_write
    from trainers.family import Family

    root, n_runs, n_jobs = tmp_path.resolve(), 12, 30
    for i in range(n_runs):
        (root / f"run{i}").mkdir()
        (root / f"run{i}" / "status.json").write_text('{"state": "done"}')
    (root / ".jobs").mkdir()
    for j in range(n_jobs):  # runs 0-5: three jobs each, the newest failed; 6-11: two, cancelled
        atomic_write(root / ".jobs" / f"job{j:02d}.json", json.dumps(
            {"id": f"job{j:02d}", "kind": "train", "run_dir": str(root / f"run{j % n_runs}"),
             "state": (DONE, CANCELLED, FAILED)[j // n_runs], "created": float(j)}))
    old = time.time() - 60
    os.utime(root / ".jobs", (old, old))  # a queue last changed a minute ago
    index = run_status.INDEX
    index.clear()
    before = index.entries_read

    states = [run_state(root / f"run{i}") for i in range(n_runs)]
    family = Family.read(root)  # every run's state again, through the lineage tree
    newest = [JobQueue(root).job_for_run(root / f"run{i}") for i in range(n_runs)]
    assert index.entries_read - before == n_jobs  # each job file once, whatever the runs asked
    assert states == [FAILED] * 6 + [CANCELLED] * 6
    assert [family[str(root / f"run{i}")].state for i in range(n_runs)] == states
    assert [j.id for j in newest] == [f"job{24 + i}" if i < 6 else f"job{12 + i}" for i in range(n_runs)]

    atomic_write(root / ".jobs" / "job99.json", json.dumps(  # a new job of run0, done
        {"id": "job99", "kind": "train", "run_dir": str(root / "run0"), "state": DONE, "created": 99.0}))
    assert run_state(root / "run0") == DONE and run_state(root / "run1") == FAILED
    assert JobQueue(root).job_for_run(root / "run0").id == "job99"
