"""Issue 6 in the UI, driven headless with AppTest: apply a remedy and re-run, watch the job,
judge the child against its parent (with more seeds), auto-repair, the jobs page, lineage.

Jobs are real processes training real (tiny) runs into a tmp runs root. AppTest's timed
fragments do not tick by themselves, so the tests call `.run()` until the page shows the end.
Where a test waits for jobs, it first waits on the registry or the run's status.json (a few
file reads) and runs the page after: a page run costs the CPU the jobs train with (2 cores).
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.ui_fixtures import REPO
from tests.waiting import until
from trainers.jobs import CANCELLED, FINISHED, RUNNING, JobQueue
from trainers.lineage import read_lineage
from trainers.rerun import submit_rerun
from ui import sources

PARENT = "lr_oscillation"  # its fix-first finding's first remedy: lr ×0.1, which resolves it
REMEDY = "lr_oscillation.lower_lr"
CHILD = f"{PARENT}+lr=0.1"
pytestmark = pytest.mark.skipif(not (sources.SAMPLES_ROOT / PARENT).is_dir(),
                                reason="sample_runs/ not generated yet (python -m trainers)")


@pytest.fixture(autouse=True)
def runs_root(tmp_path, monkeypatch):
    st.cache_data.clear()  # lives for the whole process: no parses from another test
    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    yield tmp_path
    q = JobQueue(tmp_path) if (tmp_path / ".jobs").is_dir() else None
    for job in q.poll() if q else []:  # leave no training process behind a failed test
        q.cancel(job.id)
    st.cache_data.clear()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    kinds = ("header", "subheader", "markdown", "caption", "info", "success", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def keys(at: AppTest, prefix: str) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith(prefix)]


def diagnose(name: str = PARENT, source: str = "samples") -> AppTest:
    at = ok(AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run())
    if source != "samples":
        at.radio(key="source").set_value(source)
        ok(at.run())
    at.multiselect(key=f"pick_{source}").set_value([name])
    return ok(at.run())


def compare_page(run: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.query_params["run"] = run
    at.switch_page("ui/pages/compare.py")
    return ok(at.run())


def jobs_ended(root: Path) -> bool:
    """Has every job of the runs root ended? Read from the registry: no page run, no poll."""
    return all(j.state in FINISHED for j in JobQueue(root).jobs())


def run_until(at: AppTest, done, timeout: float = 60.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not done(ok(at.run())):
        assert time.monotonic() < deadline, f"timed out; page says:\n{texts(at)}"
        time.sleep(0.3)
    return at


def test_apply_and_rerun_trains_the_child_and_judges_it_against_seed_noise(runs_root):
    before = sorted(p.name for p in (sources.SAMPLES_ROOT / PARENT).iterdir())
    at = diagnose()
    [button] = [k for k in keys(at, "rerun:") if k.endswith(REMEDY)]
    at.button(key=button).click()
    ok(at.run())
    # Straight to the child's comparison, which trains live and then shows the verdict.
    assert at.query_params["run"] == [CHILD] or at.query_params["run"] == CHILD
    assert at.header[0].value == CHILD
    assert "Training the re-run" in texts(at)  # the live view, until the job has ended
    until(lambda: jobs_ended(runs_root), 60, "the child's job to end")
    run_until(at, lambda a: a.success or a.warning or a.error)
    assert at.success[0].value.startswith("fixed: best val/loss") and "provisional" in at.success[0].value
    record = read_lineage(runs_root / CHILD)
    assert record["remedy_id"] == REMEDY and record["resolved_change"] == {"lr": 0.1}
    diff = next(d.value for d in at.dataframe if "key" in d.value.columns)
    assert diff.to_dict("records") == [{"key": "lr", "parent": "1.0", "re-run": "0.1"}]
    page = texts(at)
    assert "Before (parent)" in page and "gone after" in page  # the finding cleared
    assert len(at.get("plotly_chart")) == 2  # val and train loss, parent vs child
    # The sample is a read-only parent: its child went into the runs root, nothing into it.
    assert sorted(p.name for p in (sources.SAMPLES_ROOT / PARENT).iterdir()) == before

    # Seed noise: two more seeds of each side, then a verdict on the spread of 3 v 3.
    JobQueue(runs_root).set_max_parallel(2)  # two cores: halves the wait
    at.button(key=f"seeds:{CHILD}").click()
    ok(at.run())
    assert "4 seed run(s) still training" in texts(at)
    replicas = {p.name: read_lineage(p)["resolved_change"] for p in runs_root.iterdir()
                if "seed=" in p.name}
    assert replicas == {f"{PARENT}+seed=1": {"seed": 1}, f"{PARENT}+seed=2": {"seed": 2},
                        f"{CHILD}+seed=1": {"seed": 1}, f"{CHILD}+seed=2": {"seed": 2}}
    until(lambda: jobs_ended(runs_root), 90, "the four seed runs to end")
    run_until(at, lambda a: "still training" not in texts(a) and a.success)
    assert "3/3 child seeds" in at.success[0].value and "provisional" not in at.success[0].value
    seeds = next(d.value for d in at.dataframe if "seed" in d.value.columns)
    assert sorted(seeds["seed"]) == [0, 0, 1, 1, 2, 2]

    # A new session (a restarted UI) finds all of it on disk: the same comparison.
    again = compare_page(CHILD)
    assert again.header[0].value == CHILD and "3/3 child seeds" in again.success[0].value

    # Lineage: the parent lists its re-run; "Diagnose" opens the child, whose lineage names
    # the sample it came from, and the remedy now links to the re-run it already has.
    at = diagnose()
    assert f"`{CHILD}` · lr = 0.1 (×0.1) · ✅ done" in texts(at)  # the icon beside its word
    opener = keys(at, "open:")[0]
    at.button(key=opener).click()
    ok(at.run())
    assert at.radio(key="source").value == "server" and at.header[0].value == CHILD
    assert f"`sample_runs/{PARENT}` · ✅ done" in texts(at)


def test_runs_not_made_by_our_trainer_say_why_and_have_no_button(runs_root):
    events = next((sources.SAMPLES_ROOT / PARENT).glob("events.out.tfevents.*"))
    # Uploaded: read in memory, gone afterwards, so never a parent.
    at = ok(AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run())
    at.radio(key="source").set_value("upload")
    ok(at.run())
    at.file_uploader(key="upload").set_value((events.name, events.read_bytes(),
                                              "application/octet-stream"))
    ok(at.run())
    assert "Lower the learning rate" in texts(at)  # the remedies are there, as advice
    assert any("uploaded logs are read in memory" in i.value for i in at.info)
    assert not keys(at, "rerun:") and not keys(at, "repair:")
    # On the server but written by someone else's code: no config.json of ours.
    (runs_root / "foreign").mkdir()
    shutil.copy(events, runs_root / "foreign")
    at = diagnose("foreign", "server")
    assert any("no config.json from Run Doctor's trainer" in i.value for i in at.info)
    assert not keys(at, "rerun:") and not keys(at, "repair:")


def test_a_remedy_that_would_not_change_the_config_is_greyed_out(runs_root):
    run = runs_root / "cosine"
    shutil.copytree(sources.SAMPLES_ROOT / PARENT, run)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "lr_schedule": "cosine"}))
    at = diagnose("cosine", "server")
    assert len(keys(at, "rerun:")) == 1  # the fix-first remedy; the rest are folded, drawn once opened
    at.session_state["remedies_open:lr_oscillation:True"] = True
    ok(at.run())
    buttons = {k.rsplit(":", 1)[1]: at.button(key=k) for k in keys(at, "rerun:")}
    assert buttons["lr_oscillation.lr_schedule"].disabled
    assert not buttons[REMEDY].disabled
    assert "This run's config already has this" in texts(at)


def test_jobs_page_lists_jobs_live_and_cancels_them(runs_root):
    q = JobQueue(runs_root)
    parent = sources.SAMPLES_ROOT / PARENT
    long = submit_rerun(q, parent, {"epochs": 400})  # long enough to be caught running
    waiting = submit_rerun(q, parent, {"lr": 0.5})  # one slot: this one waits
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.switch_page("ui/pages/jobs.py")
    ok(at.run())
    page = texts(at)
    assert "1 running · 1 queued" in page
    assert f"re-run {PARENT}: epochs=400" in page and f"re-run {PARENT}: lr=0.5" in page
    at.button(key=f"cancel:{waiting.id}").click()
    ok(at.run())
    assert q.get(waiting.id).state == CANCELLED
    until(lambda: q.get(long.id).progress().get("epoch", 0) >= 1, 60, "its first epoch")
    run_until(at, lambda a: "epoch 1/400" in texts(a) or "Findings so far" in texts(a))
    assert at.get("plotly_chart"), "no live curves of the running job"
    at.button(key=f"cancel:{long.id}").click()
    ok(at.run())
    assert q.get(long.id).state == CANCELLED and "0 running · 0 queued · 2 finished" in texts(at)
    at.number_input(key="max_parallel").set_value(2)
    ok(at.run())
    assert q.max_parallel == 2
    assert q.get(long.id).state != RUNNING


def test_fix_this_for_me_tries_remedies_and_stops_at_the_first_success(runs_root):
    at = diagnose()
    [button] = keys(at, "repair:")
    at.button(key=button).click()
    ok(at.run())
    assert at.button(key=button).disabled  # one repair of a problem at a time
    until(lambda: jobs_ended(runs_root), 60, "the repair job to end")
    run_until(at, lambda a: a.success and not a.button(key=button).disabled)
    assert "Fixed by **Lower the learning rate" in at.success[0].value
    attempts = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert list(attempts["verdict"]) == ["✅ fixed"]  # stopped at the first fix
    # one table of what each remedy did to the outcome: the outcome first, the end marked
    assert list(attempts.columns)[:5] == ["#", "remedy", "outcome", "before → after", "± margin"]
    assert list(attempts["#"]) == ["1 ◀"] and list(attempts["outcome"]) == ["best val/loss"]


def test_chinese_ui_words_why_a_run_cannot_be_rerun(runs_root):
    from diagnostics.messages import render
    from trainers.rerun import can_rerun

    events = next((sources.SAMPLES_ROOT / PARENT).glob("events.out.tfevents.*"))
    at = ok(AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run())
    at.radio(key="lang").set_value("zh")
    at.radio(key="source").set_value("upload")
    ok(at.run())
    at.file_uploader(key="upload").set_value((events.name, events.read_bytes(),
                                              "application/octet-stream"))
    ok(at.run())
    assert any("上传的日志只在内存中读取" in i.value for i in at.info)
    # A log on the server without our config.json: the back-end's reason, in Chinese.
    (runs_root / "foreign").mkdir()
    shutil.copy(events, runs_root / "foreign")
    at.radio(key="source").set_value("server")
    ok(at.run())
    at.multiselect(key="pick_server").set_value(["foreign"])
    ok(at.run())
    [info] = [i.value for i in at.info if "无法“应用并重新运行”" in i.value]
    assert "没有训练诊断训练器生成的 config.json" in info and "Run Doctor's trainer" not in info
    assert not keys(at, "rerun:") and not keys(at, "repair:")
    # English stays the default wording (the CLI's); a broken config.json says why in both.
    assert "no config.json from Run Doctor's trainer" in can_rerun(runs_root / "foreign")[1]
    (runs_root / "foreign" / "config.json").write_text("{\"lr\": \"fast\"}")
    en = can_rerun(runs_root / "foreign")[1]
    zh = render(en, "zh")
    assert "is not a Run Doctor config" in en and "不是训练诊断的配置" in zh


def record_repairs(monkeypatch) -> list:
    """Repairs the page asks for, recorded instead of queued: (rule, keyword arguments)."""
    from ui import rerun as ui_rerun

    asked = []
    monkeypatch.setattr(ui_rerun, "submit_repair",
                        lambda q, parent, rule, **kw: asked.append((rule, kw)))
    return asked


def test_fix_this_for_me_takes_its_budget_and_seeds_from_the_inputs(runs_root, monkeypatch):
    asked = record_repairs(monkeypatch)
    at = diagnose()
    [button] = keys(at, "repair:")
    stem = button.split(":", 1)[1]
    budget, seeds = at.number_input(key=f"repair_budget:{stem}"), at.number_input(key=f"repair_seeds:{stem}")
    assert (budget.value, budget.min, budget.max) == (4, 1, 7)
    assert (seeds.value, seeds.min, seeds.max) == (1, 1, 3)
    budget.set_value(2)
    seeds.set_value(3)
    ok(at.run())
    at.button(key=button).click()
    ok(at.run())
    assert asked == [(PARENT, {"budget": 2, "seeds": 3})]


def test_try_the_first_three_remedies_times_three_seeds_fans_out(runs_root, monkeypatch):
    asked = record_repairs(monkeypatch)
    at = diagnose()
    [button] = keys(at, "fan_out:")
    assert at.button(key=button).label == "Try the first 3 remedies × 3 seeds"
    at.button(key=button).click()
    ok(at.run())
    assert asked == [(PARENT, {"budget": 3, "seeds": 3, "parallel": 3})]


def test_jobs_page_in_chinese_words_labels_and_errors(runs_root):
    q = JobQueue(runs_root)
    broken = q.submit("rerun", run_dir=runs_root / "broken", label="re-run broken: lr=1")
    until(lambda: q.get(broken.id).error != "", 30, "the broken job's error")
    submit_rerun(q, sources.SAMPLES_ROOT / PARENT, {"epochs": 400})
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.switch_page("ui/pages/jobs.py")
    ok(at.run())
    at.radio(key="lang").set_value("zh")
    ok(at.run())
    page = texts(at)
    assert f"重新运行 {PARENT}: epochs=400" in page and "重新运行 broken: lr=1" in page
    assert "re-run " not in page
    [error] = [e.value for e in at.error]
    # The queue's words and the child's, from their message keys: Chinese, names and numbers kept.
    assert error.startswith("错误: 进程在运行结束前退出（退出码 1）：FileNotFoundError：无法读取 "), error
    assert "job-config.json" in error and "cannot read" not in error and "process ended" not in error


def test_a_new_run_is_trained_from_the_jobs_page_and_opened_for_diagnosis(runs_root):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.switch_page("ui/pages/jobs.py")
    ok(at.run())
    at.selectbox(key="new_run_scenario").set_value("dead_relu")
    at.number_input(key="new_run_seed").set_value(3)
    at.text_input(key="new_run_changes").set_value("epochs=bad")
    at.button[[b.label for b in at.button].index("Train in the background")].click()
    ok(at.run())
    assert "epochs: expected an integer" in " ".join(e.value for e in at.error)  # nothing queued
    assert not (runs_root / ".jobs").is_dir() or JobQueue(runs_root).jobs() == []
    at.text_input(key="new_run_changes").set_value("epochs=6")
    at.button[[b.label for b in at.button].index("Train in the background")].click()
    ok(at.run())
    [banner] = [i.value for i in at.info if "dead_relu-s3" in i.value]
    assert banner.startswith(("Queued dead_relu-s3", "dead_relu-s3 is training"))  # as it stands
    # Enter in the text box submitted the form; a click on the button then submits it again.
    at.button[[b.label for b in at.button].index("Train in the background")].click()
    ok(at.run())
    (job,) = JobQueue(runs_root).jobs()  # one submit, one job
    assert "no second job was queued" in texts(at)
    config = json.loads((runs_root / "dead_relu-s3" / "job-config.json").read_text())
    assert (config["seed"], config["epochs"], config["init"]) == (3, 6, "bad_negative_bias")
    until(lambda: jobs_ended(runs_root), 60, "the job to end")
    run_until(at, lambda a: f"open:{job.id}" in keys(a, "open:"))
    assert not [i for i in at.info if "dead_relu-s3" in i.value]  # the banner left with the job
    [head] = [m.value for m in at.markdown if "dead_relu-s3" in m.value and "·" in m.value]
    assert "✅ done" in head and "elapsed" in head and "left" not in head
    at.button(key=f"open:{job.id}").click()
    ok(at.run())
    assert at.header[0].value == "dead_relu-s3"  # its diagnosis, on the Diagnose page
    assert "Dead ReLUs" in texts(at).split("Problems found")[1].split("Looks fine")[0]


def test_a_new_training_is_no_rerun_and_shows_its_elapsed_time_and_eta(runs_root):
    from trainers.config import apply_change
    from trainers.scenarios import scenario_config

    q = JobQueue(runs_root)
    job = q.submit_train(apply_change(scenario_config("healthy", 0), {"epochs": 400}), name="fresh")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.switch_page("ui/pages/jobs.py")
    ok(at.run())
    until(lambda: q.get(job.id).progress().get("epoch", 0) >= 1, 60, "its first epoch")
    run_until(at, lambda a: "Curves so far" in texts(a) and "left" in texts(a))
    page = texts(at)
    assert "parent vs re-run" not in page and "re-run" not in page  # it has no parent
    [head] = [m.value for m in at.markdown if "**fresh**" in m.value]
    assert "🏃 running" in head and "elapsed" in head and "left" in head  # icon beside its word
    at.button(key=f"cancel:{job.id}").click()
    ok(at.run())
    [head] = [m.value for m in at.markdown if "**fresh**" in m.value]
    assert "🚫 cancelled" in head and "elapsed" in head and "left" not in head


def test_a_long_run_name_shows_its_tail_in_the_sidebar_and_in_full_on_hover(runs_root):
    name = "resnet50-imagenet-cosine-warmup5-bs256+lr=0.1"
    shutil.copytree(sources.SAMPLES_ROOT / PARENT, runs_root / name)
    at = ok(AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run())
    at.radio(key="source").set_value("server")
    ok(at.run())
    chips = at.multiselect(key="pick_server")
    assert chips.value == [name]  # the run itself is picked; only its label is cut
    assert chips.options == ["…" + name[-29:]] and "bs256+lr=0.1" in chips.options[0]
    assert name in chips.help


def test_a_rerun_with_another_batch_size_is_compared_by_epoch(runs_root, batch16_rerun):
    shutil.copytree(batch16_rerun, runs_root / batch16_rerun.name)  # its lineage names the sample
    at = compare_page(batch16_rerun.name)
    assert at.radio(key="curve_view:x:compare:epoch").value == "epoch"  # 23 vs 90 steps an epoch
    assert "By epoch: these runs take different numbers of steps per epoch (23 vs 90)" in texts(at)
    assert "Curves: parent vs re-run" in texts(at)
