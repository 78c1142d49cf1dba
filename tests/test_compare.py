"""The verdict of a child vs its parent, against seed noise.

The runs here are built frame by frame and their reports given directly, so each case pins one
branch of the verdict; real trainings are compared in test_repair.py.
"""
import math

import pandas as pd
import pytest

from diagnostics.compare import (
    IMPROVED,
    NO_CHANGE,
    RESOLVED,
    WORSE,
    aligned_curves,
    compare,
    config_diff,
)
from diagnostics.model import Finding, Report, Severity
from diagnostics.rundata import RunData


def run(name, best, *, seed=0, steps_per_epoch=10, epochs=5, config=None, acc=0.9):
    """A run whose val/loss falls to `best` (its minimum) and whose val/acc ends at `acc`."""
    steps = [steps_per_epoch * (e + 1) for e in range(epochs)]
    losses = [best + 0.1 * (epochs - 1 - e) for e in range(epochs)]
    rows = [("val/loss", s, v) for s, v in zip(steps, losses, strict=True)]
    rows += [("val/acc", s, acc) for s in steps]
    frame = pd.DataFrame({"run": name, "tag": [r[0] for r in rows], "step": [r[1] for r in rows],
                          "value": [float(r[2]) for r in rows], "wall_time": 0.0})
    return RunData(run=name, scalars=frame, tag_map={"val/loss": "val/loss", "val/acc": "val/acc"},
                   config={"lr": 0.1, "seed": seed, **(config or {})})


def finding(rule_id):
    return Finding(rule_id=rule_id, title=rule_id, severity=Severity.WARNING, confidence=0.9,
                   message="", evidence=())


def judge(parents, children, rule_id, found):
    """compare() with each run's findings given as `found[run.run]` (rule ids)."""
    reports = {id(r): Report(run=r.run, findings=tuple(finding(x) for x in found.get(r.run, ())),
                             not_assessed=()) for r in (*parents, *children)}
    return compare(parents, children, rule_id, reports=reports)


def seeds(prefix, values, **kw):
    return [run(f"{prefix}{i}", v, seed=i, **kw) for i, v in enumerate(values)]


def test_resolved_when_the_finding_is_gone_on_every_seed_and_loss_not_worse():
    parents, children = seeds("p", [0.50, 0.52, 0.48]), seeds("c", [0.51, 0.49, 0.50])
    found = {"p0": ["lr_oscillation"], "p1": ["lr_oscillation"], "p2": ["lr_oscillation"]}
    c = judge(parents, children, "lr_oscillation", found)
    assert c.verdict == RESOLVED and c.success and not c.provisional
    assert c.spread == pytest.approx(0.02)  # the seed std (0.02) beats 2 % of 0.5
    assert "3/3" in c.reason["en"] and "已解决" in c.reason["zh"]
    assert [s.best_val_loss for s in c.child] == pytest.approx([0.51, 0.49, 0.50])


def test_finding_gone_on_only_some_seeds_is_not_resolved():
    parents, children = seeds("p", [0.50, 0.52, 0.48]), seeds("c", [0.40, 0.41, 0.39])
    found = {"p0": ["overfitting"], "p1": ["overfitting"], "p2": ["overfitting"],
             "c1": ["overfitting"]}
    c = judge(parents, children, "overfitting", found)
    assert c.verdict == IMPROVED  # better by 0.10 > spread, but one seed still overfits
    assert "1/3" in c.reason["en"]


def test_a_difference_inside_the_seed_spread_is_no_change():
    parents, children = seeds("p", [0.50, 0.60, 0.40]), seeds("c", [0.45, 0.55, 0.35])
    found = {r: ["overfitting"] for r in ("p0", "p1", "p2", "c0", "c1", "c2")}
    c = judge(parents, children, "overfitting", found)
    assert c.verdict == NO_CHANGE and c.spread == pytest.approx(0.1)


def test_worse_beyond_the_spread_even_when_the_finding_clears():
    parents, children = seeds("p", [0.50, 0.51, 0.49]), seeds("c", [0.80, 0.81, 0.79])
    found = {"p0": ["overfitting"], "p1": ["overfitting"], "p2": ["overfitting"]}
    assert judge(parents, children, "overfitting", found).verdict == WORSE


def test_a_new_problem_of_an_earlier_stage_is_worse():
    parents, children = seeds("p", [0.5, 0.5]), seeds("c", [0.5, 0.5])
    found = {"p0": ["overfitting"], "p1": ["overfitting"], "c0": ["divergence"],
             "c1": ["divergence"]}
    c = judge(parents, children, "overfitting", found)
    assert c.verdict == WORSE and c.new_findings == ("divergence",)
    assert c.cleared_findings == ("overfitting",)


def test_a_single_seed_is_provisional_and_needs_a_wider_margin():
    # 4 % better would be "improved" with a measured spread of 2 %; one seed needs > 5 %.
    c = judge([run("p", 0.50)], [run("c", 0.48)], "underfitting",
              {"p": ["underfitting"], "c": ["underfitting"]})
    assert c.verdict == NO_CHANGE and c.provisional
    assert c.reason["en"].endswith("single seed: verdict provisional")
    assert c.reason["zh"].endswith("单个种子：结论仅供参考")


def test_a_child_without_any_finite_loss_is_worse():
    child = run("c", 0.5)
    child.scalars.loc[child.scalars["tag"] == "val/loss", "value"] = math.nan
    c = judge([run("p", 0.5)], [child], "lr_oscillation", {"p": ["lr_oscillation"]})
    assert c.verdict == WORSE and math.isinf(c.child_mean)
    assert c.to_dict()["child_mean"] == "inf"  # stays valid JSON


def test_config_diff_ignores_the_seed_and_names_both_values():
    c = judge([run("p", 0.5, seed=0)], [run("c", 0.5, seed=1, config={"lr": 0.01})],
              "lr_oscillation", {})
    assert c.config_diff == {"lr": (0.1, 0.01)}
    assert config_diff({"a": 1}, {"b": 2}) == {"a": (1, None), "b": (None, 2)}


def test_curves_align_by_step_and_by_epoch_when_the_batch_size_changes():
    parent, child = run("p", 0.5), run("c", 0.5, steps_per_epoch=3)  # batch ×4 -> fewer steps
    frame = aligned_curves([parent], [child], "val/loss")
    assert set(frame["side"]) == {"parent", "child"}
    assert frame[frame["side"] == "child"]["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert frame[frame["side"] == "parent"]["step"].tolist() == [10, 20, 30, 40, 50]


def test_a_changed_loss_function_is_judged_on_validation_accuracy():
    # MSE and cross-entropy values are in different units: 0.12 CE is not worse than 0.08 MSE.
    parents = seeds("p", [0.08, 0.08], config={"loss": "mse"}, acc=0.5)
    children = seeds("c", [0.12, 0.13], config={"loss": "cross_entropy"}, acc=0.95)
    c = judge(parents, children, "underfitting", {"p0": ["underfitting"], "p1": ["underfitting"]})
    assert c.metric == "best val/acc" and c.verdict == RESOLVED
    assert [s.best_val_loss for s in c.child] == pytest.approx([0.12, 0.13])


def test_a_parent_that_never_validated_is_beaten_by_any_finite_child():
    parent = run("p", 0.5)
    parent = RunData(run="p", scalars=parent.scalars[parent.scalars["tag"] == "val/acc"].iloc[:0],
                     tag_map={}, config=parent.config)  # diverged before its first epoch ended
    c = judge([parent], [run("c", 0.3)], "exploding_gradient", {"p": ["exploding_gradient"]})
    assert c.metric == "best val/loss" and c.parent_mean == math.inf
    assert c.verdict == RESOLVED and "0.3000 vs inf" in c.reason["en"]
