"""Auto-repair on real (tiny) scenario runs: remedies tried in the documents' order until one
clears the finding without making validation worse."""
import shutil
from dataclasses import replace

import pytest

from diagnostics.reader import load
from diagnostics.remedies import remedies_for
from trainers.jobs import DONE, JobQueue, train_into
from trainers.lineage import read_lineage
from trainers.repair import auto_repair, ends_at, read_repair, record_dir, submit_repair
from trainers.rerun import rerun
from trainers.scenarios import scenario_config

# Overfitting is judged on the loss and accuracy curves. Without histograms and with the
# instruments every 100 steps, the runs train exactly the same (instruments only read them) and
# every attempt's verdict, outcome and findings come out the same, in about 2/3 of the time.
QUIET = dict(hist_every=0, log_every=100)


def scenario_run(tmp_path, name, **overrides):
    parent = tmp_path / "parents" / name
    train_into(replace(scenario_config(name, 0), **overrides), parent, progress=False)
    return parent


def session_run(tmp_path, scenario_runs, name):
    """The scenario's seed-0 run, trained once for the session (conftest), copied in as a parent:
    the very run `scenario_run(tmp_path, name)` would train."""
    parent = tmp_path / "parents" / name
    shutil.copytree(scenario_runs[name, 0].run_dir, parent)
    return parent


def in_documents_order(attempts, rule_id):
    order = [r.id for r in remedies_for(rule_id) if r.change is not None]
    return [a.remedy_id for a in attempts] == order[:len(attempts)]


@pytest.mark.slow
def test_lr_oscillation_is_repaired_by_its_first_effective_remedy(tmp_path, scenario_runs):
    parent = session_run(tmp_path, scenario_runs, "lr_oscillation")
    attempts = auto_repair(parent, "lr_oscillation", budget=4, out=tmp_path / "runs")

    assert attempts and attempts[-1].success and in_documents_order(attempts, "lr_oscillation")
    assert all(not a.success for a in attempts[:-1])  # it stops at the first success
    win = attempts[-1]
    assert "lr_oscillation" not in win.findings_after[0]
    assert win.comparison["provisional"]
    assert win.reason["en"].endswith("one seed a side: provisional")
    assert win.verdict == "fixed" and win.outcome["after"] < win.outcome["before"]
    (child,) = win.children
    lineage = read_lineage(child)
    assert lineage["remedy_id"] == win.remedy_id
    assert lineage["resolved_change"] == win.resolved_change
    assert load(child).runs[0].config["seed"] == 0

    record = read_repair(record_dir(parent, "lr_oscillation", tmp_path / "runs"))
    assert (record["state"], record["success"]) == ("done", True)
    assert [a["verdict"] for a in record["attempts"]] == [a.verdict for a in attempts]


@pytest.mark.slow
def test_overfitting_is_repaired_in_a_background_job_with_two_seeds(tmp_path):
    # Clean labels on 100 samples: overfits on seeds 0-2, a pure "too little data" case (the
    # committed scenario, 40 % noisy labels, is the next test).
    parent = scenario_run(tmp_path, "overfitting", label_noise=0.0, train_size=100, **QUIET)
    queue = JobQueue(tmp_path)  # a background repair's parent must lie inside its runs root
    job = submit_repair(queue, parent, "overfitting", budget=4, seeds=2)
    job = queue.wait(job.id, timeout=240)
    assert job.state == DONE, job.log_tail()

    record = read_repair(job.run_dir)  # what the UI reads while and after it runs
    assert record["success"] and job.fraction() is not None
    assert len(record["replicas"]) == 1  # the parent's config at seed 1: its side of the spread
    win = record["attempts"][-1]
    assert win["verdict"] == "fixed" and record["ends_at"] == len(record["attempts"]) - 1
    assert [s["seed"] for s in win["comparison"]["child"]] == [0, 1]
    assert [s["seed"] for s in win["comparison"]["parent"]] == [0, 1]
    assert not any("overfitting" in f for f in win["findings_after"])
    assert not win["comparison"]["provisional"]


@pytest.mark.slow
def test_noisy_label_overfitting_ends_at_the_remedy_that_makes_a_better_model(tmp_path):
    # 40 % noisy labels: all the data still overfits (the noise is in all of it) but delivers a
    # much better model; a 1-pixel shift makes it worse; early stopping only stops before the
    # harm (the same best val loss: contained, not fixed). Nothing fixes it within the budget,
    # so the repair ends at the remedy that made the model best: more data, not early stopping.
    parent = scenario_run(tmp_path, "overfitting", **QUIET)
    attempts = auto_repair(parent, "overfitting", budget=3, out=tmp_path / "runs")

    assert [a.remedy_id.split(".")[1] for a in attempts] == ["more_data", "augment",
                                                              "early_stopping"]
    assert in_documents_order(attempts, "overfitting") and not any(a.success for a in attempts)
    more_data, _, early = attempts
    assert more_data.verdict == "improved" and "overfitting" in more_data.findings_after[0]
    assert more_data.outcome["after"] < more_data.outcome["before"] - more_data.outcome["margin"]
    assert early.verdict == "contained" and "overfitting" not in early.findings_after[0]
    # stopped at the minimum: the same best val loss, the patience epochs after it, no more
    assert early.outcome["after"] == pytest.approx(early.outcome["before"])
    val = load(early.children[0]).runs[0].scalar("val/loss")
    assert len(val) - 1 - int(val.to_numpy().argmin()) == 5
    assert ends_at(attempts) == 0
    record = read_repair(record_dir(parent, "overfitting", tmp_path / "runs"))
    assert (record["ends_at"], record["success"]) == (0, False)


@pytest.mark.slow
def test_a_child_that_already_exists_is_reused_not_trained_again(tmp_path, scenario_runs):
    parent = session_run(tmp_path, scenario_runs, "lr_oscillation")
    runs = tmp_path / "runs"
    made = rerun(parent, {"lr": "×0.1"}, out=runs, progress=False).run_dir  # "apply and re-run"
    attempts = auto_repair(parent, "lr_oscillation", budget=4, out=runs)
    assert attempts[0].children == (str(made),) and attempts[0].reused == 1
    assert attempts[0].success and sorted(p.name for p in runs.iterdir()) == [
        ".repairs", made.name]


@pytest.mark.slow
def test_a_parent_without_the_problem_needs_no_repair(tmp_path, scenario_runs):
    parent = session_run(tmp_path, scenario_runs, "healthy")
    assert auto_repair(parent, out=tmp_path / "runs") == []


def test_a_run_without_our_config_cannot_be_repaired(tmp_path):
    from trainers.rerun import RerunError

    with pytest.raises(RerunError, match="remedies stay advice"):
        auto_repair(tmp_path, "overfitting")
