"""A runs root written by someone else: the job registry and lineage.json are data, not orders.

Hostile entries (a foreign module, paths leaving the root, garbage of every kind) are
quarantined with a one-line reason and never run, opened or shown; poll() never raises; valid
jobs still run; a running job whose entry is truncated keeps its slot; a job killed with kill -9
is followed by the next one with no page polling. Jobs are real processes of the real trainer
on a tiny config; the tests wait on pids (pidfd) and on the watcher's exit, not on timers.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.ui_fixtures import browser  # noqa: F401  (the headless Chromium fixture)
from tests.waiting import until
from trainers.config import TrainConfig
from trainers.job_process import WATCHER, wait_for_exit
from trainers.job_record import error_line
from trainers.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, UnsafeRegistry, run_state
from trainers.lineage import ancestors, lineage_tree, parent_of
from trainers.repair import read_repair, submit_repair

REPO = Path(__file__).resolve().parents[1]
SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT"
TINY = TrainConfig(dataset="moons", train_size=64, width=8, epochs=1, batch_size=32, hist_every=0,
                   log_every=1, min_loss_points=0)
LONG = TrainConfig(dataset="moons", train_size=64, width=8, epochs=10_000, hist_every=0)

# Every file opened in this process while `_watching` is set: nothing under `outside` may be.
_opened: list[str] = []
_watching: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _watching and event in ("open", "os.listdir", "os.scandir") and args \
            and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def land(tmp_path):
    """(runs root, a folder outside it holding a secret, the sentinel a foreign module would
    write)."""
    root, outside = tmp_path / "runs", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "secret.json").write_text(json.dumps({"secret": SECRET}))
    victim = outside / "victim"
    victim.mkdir()
    (victim / "config.json").write_text(TINY.to_json())
    (victim / "lineage.json").write_text(json.dumps({"parent": "/", "change": {"s": SECRET}}))
    yield root.resolve(), outside.resolve(), outside.resolve() / "SENTINEL"
    q = JobQueue(root)
    for job in q.jobs():  # leave no training process behind a failed test
        if job.state in (QUEUED, RUNNING):
            q.cancel(job.id)


def entry(root: Path, job_id: str, **fields) -> dict:
    return {"id": job_id, "kind": "train", "state": QUEUED, "created": 1.0, "label": job_id,
            "run_dir": str(root / job_id), **fields}


def plant(root: Path, outside: Path, sentinel: Path) -> dict[str, str]:
    """Write hostile registry entries; returns {entry name: a word its reason must hold}."""
    jobs = root / ".jobs"
    jobs.mkdir()
    (jobs / "lock").mkdir()  # a folder where the lock file goes
    (jobs / "settings.json").write_text('{"max_parallel": "lots"}')
    (root / "link").symlink_to(outside)
    (root / "logjob").mkdir()
    (root / "logjob" / "job.log").symlink_to(outside / "secret.txt")
    files = {
        "evil-module": (entry(root, "evil-module", module="json.tool",
                              args=[str(outside / "secret.json"), str(sentinel)]), "module"),
        "run-outside": (entry(root, "run-outside", run_dir=str(outside / "run")), "is outside"),
        "run-dotdot": (entry(root, "run-dotdot", run_dir=str(root / ".." / "outside" / "r")),
                       "is outside"),
        "run-link": (entry(root, "run-link", run_dir=str(root / "link" / "r")), "is outside"),
        "log-outside": (entry(root, "log-outside", state=DONE,
                              log_file="../../outside/secret.txt"), "log_file"),
        "repair-outside": (entry(root, "repair-outside", kind="repair",
                                 run_dir=str(root / ".repairs" / "x"),
                                 repair={"parent": str(outside / "victim"), "rule": "overfitting",
                                         "budget": 1, "seeds": 1}), "repair.parent"),
        # valid, finished, but its job.log is a link to a secret outside: shows nothing
        "logjob": (entry(root, "logjob", state=DONE, created=0.5), None),
        "bad-created": (entry(root, "bad-created", created="yesterday"), "created"),
        "bad-args": (entry(root, "bad-args", module="trainers.jobs", args=5), "args"),
        "huge-pid": (entry(root, "huge-pid", state=RUNNING, pid=10**30), "pid"),
        "not-its-name": (entry(root, "someone-else"), "name"),
        "list": ([1, 2, 3], "object"),
        "surrogate": (entry(root, "surrogate", label="\ud800"), "Unicode"),  # no page can send it
    }
    no_id = entry(root, "no-id")
    del no_id["id"]
    files["no-id"] = (no_id, "id: missing")
    for name, (data, _) in files.items():
        (jobs / f"{name}.json").write_text(json.dumps(data))
    (jobs / "huge-time.json").write_text(json.dumps(entry(root, "huge-time"))
                                         .replace('"created": 1.0', '"created": 1e400'))
    (jobs / "truncated.json").write_text(json.dumps(entry(root, "truncated"))[:50])
    (jobs / "huge-int.json").write_text('{"id": "huge-int", "created": ' + "9" * 5000 + "}")
    (jobs / "folder.json").mkdir()
    (jobs / "link-out.json").symlink_to(outside / "secret.json")
    expected = {f"{name}.json": word for name, (_, word) in files.items() if word}
    expected.update({"huge-time.json": "created", "truncated.json": "not valid JSON",
                     "huge-int.json": "not valid JSON",
                     "folder.json": "folder", "link-out.json": "symbolic link", "lock": "folder"})
    return expected


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def watcher_of(root: Path, pid: int) -> int:
    """The pid of the watcher started beside job process `pid`."""
    want = [WATCHER.encode(), str(root).encode(), str(pid).encode()]
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if proc.name.isdigit() and want[0] in args and args[args.index(want[0]):][:3] == want:
            return int(proc.name)
    raise AssertionError(f"no watcher for {pid}")


@pytest.mark.slow
def test_a_hostile_registry_runs_shows_and_opens_nothing_and_valid_jobs_still_run(land):
    root, outside, sentinel = land
    expected = plant(root, outside, sentinel)
    before = listing(outside)
    _watching.append(True)
    try:
        q = JobQueue(root)
        assert q.max_parallel == 1  # "lots" is no number
        a = q.submit_train(TINY, name="good-a")  # its poll quarantines every bad entry first
        b = q.submit_train(TINY, name="good-b")
        assert (a.state, b.state) == (RUNNING, QUEUED)
        reasons = dict(q.rejected())
        shown = [q.get(j.id).log_tail() for j in q.jobs()] + list(reasons.values())
    finally:
        _watching.clear()
    for name, word in expected.items():
        assert word in reasons.get(name, ""), (name, reasons.get(name))
        assert "\n" not in reasons[name] and len(reasons[name]) <= 300
    assert not (root / ".jobs" / "evil-module.json").exists()  # moved to .jobs/quarantine/
    assert [j.id for j in q.jobs()] == ["logjob", a.id, b.id]  # only valid entries are jobs
    assert not any(p.startswith(str(outside)) for p in _opened), [
        p for p in _opened if p.startswith(str(outside))]
    assert not any(SECRET in text for text in shown)

    # Its entry truncated while it runs: the job keeps its slot, nobody starts beside it.
    path = root / ".jobs" / f"{a.id}.json"
    path.write_text(path.read_text()[:60])
    jobs = q.poll()
    assert [(j.id, j.state) for j in jobs] == [("logjob", DONE), (b.id, QUEUED)]
    assert "not valid JSON" in dict(q.rejected())[f"{a.id}.json"]
    assert q.registry.held_slots() == 1

    # It ends by itself: its hand-off writes its entry again and starts the queued one.
    assert wait_for_exit(a.pid, timeout=60)
    a_after, b_now = q.get(a.id), q.get(b.id)
    assert a_after.state == DONE and a_after.progress()["state"] == "done"
    assert b_now.state in (RUNNING, DONE) and b_now.started >= a_after.finished
    assert not sentinel.exists() and listing(outside) == before  # nothing ran or wrote there


@pytest.mark.slow
def test_kill_9_of_a_running_job_starts_the_next_with_nobody_polling(land):
    root, _, _ = land
    session = textwrap.dedent(f"""
        from trainers.config import TrainConfig
        from trainers.jobs import JobQueue
        q = JobQueue({str(root)!r}, max_parallel=1)
        print(q.submit_train(TrainConfig.from_json({LONG.to_json()!r}), name="long").pid)
        print(q.submit_train(TrainConfig.from_json({TINY.to_json()!r}), name="next").id)
    """)
    done = subprocess.run([sys.executable, "-c", session], cwd=REPO, check=True, timeout=60,
                          capture_output=True, text=True)
    pid, next_id = done.stdout.split()
    pid = int(pid)
    q = JobQueue(root)  # this process never polls below: jobs() and get() only read
    assert [j.state for j in q.jobs()] == [RUNNING, QUEUED]
    watcher = watcher_of(root, pid)
    until(lambda: q.jobs()[0].progress().get("step", 0) > 0, what="a step in its status.json")
    os.killpg(pid, signal.SIGKILL)  # the job's whole group, as the OOM killer or kill -9 would
    assert wait_for_exit(pid, timeout=10) and wait_for_exit(watcher, timeout=20)
    killed, following = q.jobs()
    assert killed.state == FAILED and "killed, crashed or machine restarted" in killed.error
    assert following.id == next_id and following.state in (RUNNING, DONE)
    assert following.started >= killed.finished


def test_cancel_never_signals_a_process_an_entry_names_and_status_garbage_is_dropped(land):
    root, _, _ = land
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (root / ".jobs").mkdir()
        (root / ".jobs" / "fake.json").write_text(json.dumps(
            entry(root, "fake", state=RUNNING, pid=bystander.pid)))
        (root / "fake").mkdir()
        (root / "fake" / "status.json").write_text('{"state": 5, "step": "x", "total_steps": -3}')
        q = JobQueue(root)
        assert q.get("fake").progress() == {"state": 5} and q.get("fake").fraction() is None
        assert q.cancel("fake").state == CANCELLED
        assert bystander.poll() is None  # still alive: not our job's process
        (root / ".jobs" / "fake2.json").write_text(json.dumps(
            entry(root, "fake2", state=RUNNING, pid=bystander.pid)))
        q.poll()  # a "running" entry whose pid is not its job's process is settled as dead
        assert q.get("fake2").state == FAILED and bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_registry_or_lineage_leading_outside_the_root_is_not_followed(land, tmp_path):
    root, outside, _ = land
    # .jobs a symlink to a folder elsewhere: refused, nothing created or read there
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "x.json").write_text(json.dumps({"secret": SECRET}))
    (other / "root").mkdir()
    (other / "root" / ".jobs").symlink_to(other)
    with pytest.raises(UnsafeRegistry):
        JobQueue(other / "root")
    assert sorted(os.listdir(other)) == ["root", "x.json"]

    # lineage.json naming a parent outside: absolute, by "..", through a symlink in the root
    (root / "link").symlink_to(outside)
    for name, parent in (("abs", str(outside / "victim")), ("dots", "../outside/victim"),
                         ("via-link", "link/victim")):
        (root / name).mkdir()
        (root / name / "lineage.json").write_text(json.dumps({"parent": parent, "created": "x"}))
        (root / name / "status.json").write_text(json.dumps({"state": "running", "pid": "self"}))
    _watching.append(True)
    try:
        tree = lineage_tree(root, within=[root])
        chains = [ancestors(root / n, within=[root]) for n in ("abs", "dots", "via-link")]
        parents = [parent_of(root / n, within=[root]) for n in ("abs", "dots", "via-link")]
        states = [run_state(root / n) for n in ("abs", "dots", "via-link")]
    finally:
        _watching.clear()
    assert sorted(n["name"] for n in tree) == ["abs", "dots", "via-link"]
    assert all(not n["children"] and n["problem"].startswith("lineage.json ignored: parent: ")
               and f"is outside {root}" in n["problem"] for n in tree)
    assert chains == [[], [], []] and parents == [None, None, None]
    assert states == [FAILED] * 3  # a "running" status whose pid is no pid
    assert not any(p.startswith(str(outside)) for p in _opened)
    assert parent_of(root / "abs") == outside / "victim"  # the CLI, on the user's own files


def test_the_jobs_and_compare_pages_list_what_was_ignored_and_never_fail(land, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import sources

    root, outside, sentinel = land
    expected = plant(root, outside, sentinel)
    (root / "child").mkdir()
    (root / "child" / "lineage.json").write_text(json.dumps({"parent": str(outside / "victim"),
                                                             "resolved_change": {"lr": 1.0}}))
    monkeypatch.setenv(sources.RUNS_ENV, str(root))
    st.cache_data.clear()
    _watching.append(True)
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
        at.switch_page("ui/pages/jobs.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        listed = "\n".join(c.value for c in at.code)
        page = "\n".join(str(e.value) for kind in ("markdown", "warning", "error", "info", "code")
                         for e in at.get(kind))
        compare = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
        compare.switch_page("ui/pages/compare.py")
        compare.run()
        assert not compare.exception, [e.value for e in compare.exception]
    finally:
        _watching.clear()
        st.cache_data.clear()
    assert "job file(s) ignored" in at.warning[0].value
    for name, word in expected.items():
        line = next(line for line in listed.splitlines() if line.startswith(f"{name}: "))
        assert word in line, line
    assert SECRET not in page and not sentinel.exists()
    assert not any(p.startswith(str(outside)) for p in _opened)
    assert "name a parent outside the runs folder" in compare.warning[0].value
    assert any("child: lineage.json ignored" in c.value for c in compare.code)


def test_a_failed_job_reports_its_exception_line_never_a_warning():
    warning = "<frozen runpy>:128: RuntimeWarning: 'trainers.jobs' found in sys.modules"
    log = "\n".join([warning, "Traceback (most recent call last):", '  File "x.py", line 1, in f',
                     "    boom()", "    ^^^^^^", "ValueError: boom", warning, ""])
    assert error_line(log) == "ValueError: boom"
    assert error_line(warning) == ""  # a killed job whose log holds only the warning


def test_a_repair_leading_outside_or_a_garbled_repair_record_is_refused(land):
    root, outside, _ = land
    q = JobQueue(root)
    with pytest.raises(ValueError, match="repair.parent"):
        submit_repair(q, outside / "victim", "overfitting")
    assert q.jobs() == [] and not (root / ".repairs").exists()
    folder = root / ".repairs" / "p.overfitting"
    folder.mkdir(parents=True)
    (folder / "repair.json").write_text(json.dumps({
        "state": "running", "step": "two", "total_steps": 4, "started": "yesterday",
        "current": str(outside / "victim"),
        "attempts": ["junk", {"verdict": "resolved", "children": [1, "c"], "reason": None}]}))
    record = read_repair(folder)
    assert record == {"state": "running", "total_steps": 4, "current": str(outside / "victim"),
                      "attempts": [{"verdict": "resolved", "children": ["c"], "reason": {}}]}
    (folder / "repair.json").unlink()
    (folder / "repair.json").symlink_to(outside / "secret.json")
    assert read_repair(folder) is None


@pytest.mark.browser
def test_a_real_browser_shows_the_ignored_entries_and_nothing_from_outside(land, browser):
    # The served app (not AppTest) on a hostile runs root: the first page load polls the queue,
    # which must run nothing and show nothing from outside, and the Jobs page lists each
    # ignored entry with its reason.
    from tests.ui_fixtures import need_chromium, served_app

    need_chromium()
    root, outside, sentinel = land
    expected = plant(root, outside, sentinel)
    with served_app(env={"RUN_DOCTOR_RUNS": str(root)}) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        try:
            page.goto(f"{url}/jobs")
            page.get_by_text("job file(s) ignored").first.wait_for(timeout=30_000)
            # every entry's line, looked for in one wait (a locator per name costs a round trip each)
            page.wait_for_function("names => names.every(n => document.body.innerText.includes(n + ': '))",
                                   arg=list(expected), timeout=10_000)
            content = page.content()
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            page.close()
    assert SECRET not in content and not sentinel.exists()
