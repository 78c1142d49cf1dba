"""The engine: every rule runs, findings come in the order of diagnosis with remedies attached,
missing data and failing rules become NotAssessed, and a higher-stage finding keeps
lower-stage rules from judging garbage."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from diagnostics import engine
from diagnostics.engine import diagnose
from diagnostics.messages import Msg, english, render
from diagnostics.model import Finding, NotAssessed, Severity
from diagnostics.remedies import DIAGNOSIS_ORDER, check_name, remedies_for, remedies_of, rule_title
from diagnostics.rules import RULES, curves
from diagnostics.rules.base import SyntheticRun


def healthy_instrumented() -> SyntheticRun:
    run = curves.healthy(SyntheticRun("healthy"))
    ts = curves.train_steps()
    for layer in ("fc1", "fc2", "out"):
        run.scalar(f"grad_norm/{layer}", ts, 0.3 + 0.1 * np.sin(ts))
    run.scalar("grad_norm/total", ts, 0.5 + 0.1 * np.sin(ts))
    for act in ("act1", "act2"):
        run.scalar(f"dead_frac/{act}", ts, np.zeros(len(ts)))
    return run


def cannot_learn() -> SyntheticRun:
    """A stalled, bouncing loss with dead units and vanishing gradients."""
    ts = curves.train_steps()
    rng = np.random.default_rng(0)
    run = SyntheticRun("stuck").scalar("train/loss", ts, 1.6 + 0.8 * np.abs(rng.standard_normal(len(ts))))
    run.scalar("dead_frac/act1", ts, np.full(len(ts), 0.95))
    run.scalar("grad_norm/fc1", ts, np.full(len(ts), 1e-6))
    run.scalar("grad_norm/out", ts, np.full(len(ts), 0.5))
    return run


def test_healthy_run_passes_every_rule():
    report = diagnose(healthy_instrumented().build())
    assert report.findings == () and report.not_assessed == ()
    assert report.passed == DIAGNOSIS_ORDER and report.fix_first is None


def test_every_rule_runs_and_missing_data_is_not_assessed_never_healthy():
    report = diagnose(SyntheticRun("bare").scalar("opt/lr", [0, 10], [0.1, 0.1]).build())
    assert [n.rule_id for n in report.not_assessed] == list(DIAGNOSIS_ORDER)
    assert report.passed == () and report.findings == ()
    assert all(n.to_log for n in report.not_assessed)


def test_findings_follow_the_order_of_diagnosis_whatever_order_rules_run_in():
    report = diagnose(cannot_learn().build(), rules=list(reversed(DIAGNOSIS_ORDER)))
    assert [f.rule_id for f in report.findings] == ["vanishing_gradient", "dead_relu", "lr_oscillation"]
    assert report.fix_first.rule_id == "vanishing_gradient"


def test_remedies_come_in_the_catalogue_order_in_the_language_the_report_is_read_in():
    report = diagnose(cannot_learn().build())
    assert report.findings
    for lang in ("en", "zh"):
        for f in report.findings:
            assert remedies_of(f, lang) == remedies_for(f.rule_id, lang)
            assert render(f.title, lang) == rule_title(f.rule_id, lang)
        assert report.to_dict(lang)["findings"][0]["title"] == rule_title(report.findings[0].rule_id, lang)


def test_a_cause_explains_underfitting_which_is_not_judged_separately():
    report = diagnose(cannot_learn().build())
    under = {n.rule_id: n for n in report.not_assessed}["underfitting"]
    assert rule_title("vanishing_gradient") in english(under.reason) and "underfitting" not in report.passed


def _overfitting_run_turning_nan(at: int):
    run = RULES["overfitting"].examples.fires[0]()  # an overfitting run...
    loss = run.scalar("train/loss").to_numpy().copy()
    loss[at:] = np.nan  # ...whose training loss turns NaN from point `at` on
    broken = SyntheticRun("broken").scalar("train/loss", run.scalar("train/loss").index, loss)
    return broken.scalar("val/loss", run.scalar("val/loss").index,
                         run.scalar("val/loss").to_numpy()).build()


def test_divergence_keeps_lower_stages_from_judging_the_curves():
    report = diagnose(_overfitting_run_turning_nan(at=12))  # broken early on
    assert [f.rule_id for f in report.findings] == ["divergence"]
    reasons = {n.rule_id: english(n.reason) for n in report.not_assessed}
    for rule_id in ("overfitting", "underfitting", "lr_oscillation"):
        assert rule_title("divergence") in reasons[rule_id]
    # a rule lacking data keeps ITS reason (what to log), not the suppression
    assert "does not log" in reasons["dead_relu"]


def test_a_problem_that_came_before_the_divergence_is_reported_too():
    # The val loss had been rising for most of the run when the loss went NaN at the last
    # point: the NaN does not explain the overfitting that came before it.
    report = diagnose(_overfitting_run_turning_nan(at=-1))
    found = {f.rule_id: f for f in report.findings}
    assert list(found) == ["divergence", "overfitting"]
    assert found["overfitting"].onset_step < found["divergence"].onset_step


def test_a_weak_finding_does_not_hide_a_later_stage():
    weak = RULES["overfitting"].examples.fires[0]()
    outcomes = {"lr_oscillation": Finding(rule_id="lr_oscillation", severity=Severity.WARNING,
                                          confidence=0.55, message=Msg("lr_oscillation.found"), evidence=(),
                                          onset_step=0),
                "overfitting": RULES["overfitting"].run(weak)}
    kept = engine._apply_interactions(outcomes)
    assert isinstance(kept["overfitting"], Finding)  # not hidden by a borderline reading
    solid = {**outcomes, "lr_oscillation": replace(outcomes["lr_oscillation"], confidence=0.9)}
    assert isinstance(engine._apply_interactions(solid)["overfitting"], NotAssessed)


def test_cannot_learn_keeps_overfitting_from_being_judged():
    stuck = cannot_learn()
    vs = curves.val_steps()
    stuck.scalar("val/loss", vs, np.r_[np.linspace(2.3, 1.5, 8), np.linspace(1.6, 2.5, len(vs) - 8)])
    report = diagnose(stuck.build())
    assert "overfitting" in {n.rule_id for n in report.not_assessed}


def test_a_rule_that_raises_becomes_not_assessed_and_the_others_still_run():
    def boom(run, th):
        raise ZeroDivisionError("bad luck")

    broken = replace(RULES["overfitting"], check=boom)
    rules = [r for r in RULES.values() if r.id != "overfitting"] + [broken]
    report = diagnose(healthy_instrumented().build(), rules=rules)
    failed = {n.rule_id: n for n in report.not_assessed}["overfitting"]
    assert isinstance(failed, NotAssessed) and "ZeroDivisionError: bad luck" in english(failed.reason)
    assert len(report.passed) == len(DIAGNOSIS_ORDER) - 1


def test_a_subset_of_rules_by_id():
    report = diagnose(healthy_instrumented().build(), rules=["divergence", "overfitting"])
    assert report.passed == ("divergence", "overfitting")


def test_unknown_language_is_refused():
    report = diagnose(cannot_learn().build())
    with pytest.raises(ValueError):
        report.to_dict("fr")
    with pytest.raises(ValueError):
        render(report.findings[0].message, "fr")


def test_report_serialises_with_evidence_and_remedies():
    data = diagnose(cannot_learn().build()).to_dict()
    first = data["findings"][0]
    assert {"rule", "severity", "confidence", "message", "onset_step", "evidence", "remedies"} <= set(first)
    # each text beside its message key and parameters
    assert first["message_key"] == "vanishing_gradient.spread" and first["title_key"] == "vanishing_gradient.title"
    assert first["message_params"]["low_layer"] == "fc1"
    na = data["not_assessed"][0]
    assert {"reason", "reason_key", "reason_params", "to_log", "to_log_key", "to_log_params"} <= set(na)
    assert {"tag", "steps", "statistic", "value", "threshold"} <= set(first["evidence"][0])
    assert {"id", "action", "source", "change"} <= set(first["remedies"][0])


@pytest.mark.parametrize("seed", range(20))
def test_no_finding_on_noisy_healthy_runs(seed):
    # Mini-batch noise (log-normal: sigma 0.25 on train, 0.03 on val) must not alarm.
    run = curves.healthy(SyntheticRun(f"noisy{seed}"), seed=seed)
    ts = curves.train_steps()
    rng = np.random.default_rng(seed)
    run.scalar("grad_norm/total", ts, 0.5 * np.exp(0.4 * rng.standard_normal(len(ts))))
    run.scalar("dead_frac/act1", ts, np.clip(0.05 + 0.05 * rng.standard_normal(len(ts)), 0, 1))
    report = diagnose(run.build())
    assert report.findings == (), [english(f.message) for f in report.findings]


def test_real_logs_from_other_writers_never_break_a_rule():
    from diagnostics.reader import load
    from tests.conftest import SHARED

    root = SHARED / "reallogs"
    if not root.exists():
        pytest.skip("shared/reallogs not available")
    runs = load(root).runs
    assert runs
    for run in runs:
        report = diagnose(run)
        failed = [english(n.reason) for n in report.not_assessed if "failed" in english(n.reason)]
        assert not failed, (run.run, failed)
        assert len(report.findings) + len(report.not_assessed) + len(report.passed) == len(DIAGNOSIS_ORDER)


def test_markdown_rendering_keeps_order_remedies_and_not_assessed():
    from diagnostics import render

    report = diagnose(cannot_learn().build())
    md = render.markdown(report, "zh")
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads[0].startswith("## 1. " + rule_title("vanishing_gradient", "zh"))
    assert "1. **" + remedies_for("vanishing_gradient", "zh")[0].action + "**" in md
    not_assessed = md.split("## 未评估", 1)[1]
    assert f"- **{check_name('underfitting', 'zh')}**:" in not_assessed  # the check, not the problem


def test_markdown_carries_each_remedys_why_and_code_inside_its_list_item():
    import re

    from diagnostics import render

    report = diagnose(RULES["overfitting"].examples.fires[0]())
    md = render.markdown(report, "en")
    remedies = remedies_of(report.findings[0], "en")
    for i, r in enumerate(remedies, 1):
        item = md.split(f"\n{i}. **{r.action}**\n", 1)[1].split(f"\n{i + 1}. **", 1)[0]
        assert "   " + r.why in item and r.source in item
        code = re.search(r"\n   ```python\n(.*?)\n   ```\n", item, re.S).group(1)
        # indented to stay inside the numbered item; blank lines stay blank
        assert "\n".join(line[3:] for line in code.split("\n")) == r.snippet.rstrip("\n")
    assert 'trainer change: `{"weight_decay": 0.005}`' in md


def _ppo_like(writer: str | None) -> SyntheticRun:
    # PPO's combined loss and its value term hover while the policy improves: read as
    # supervised losses they "never fell" (underfitting).
    ts = curves.train_steps()
    run = SyntheticRun("ppo", writer=writer).scalar("train/loss", ts, 1.0 + 0.1 * np.sin(ts / 20))
    return run.scalar("train/value_loss", ts, 3.0 + 0.2 * np.cos(ts / 30))


def test_rl_writers_losses_are_not_judged_by_default_but_a_users_mapping_is():
    hovering = SyntheticRun("hover").scalar("train/loss", *_ppo_like(None).scalars["train/loss"])
    assert "underfitting" in {f.rule_id for f in diagnose(hovering.build()).findings}
    # an RL loop of any writer gives itself away by its tags (a value loss, a reward)
    by_tags = {n.rule_id: english(n.reason) for n in diagnose(_ppo_like(None).build()).not_assessed}
    assert "reinforcement-learning" in by_tags["underfitting"]
    report = diagnose(_ppo_like("stable-baselines3").build())
    reasons = {n.rule_id: english(n.reason) for n in report.not_assessed}
    assert report.findings == () and report.passed == ()
    loss_rules = set(DIAGNOSIS_ORDER) - {"exploding_gradient"}  # the one rule without a loss
    assert {r for r, why in reasons.items() if "reinforcement-learning" in why} == loss_rules
    assert "does not log" in reasons["exploding_gradient"]  # keeps its own reason
    zh = report.not_assessed[0]
    assert "强化学习" in render(zh.reason, "zh") and "标签映射" in render(zh.to_log, "zh")
    # the user maps a loss by hand in the tag-mapping panel: it is judged as usual
    mapped = _ppo_like("stable-baselines3").build().with_mapping({"train/value_loss": "train/loss"})
    assert "underfitting" in {f.rule_id for f in diagnose(mapped).findings}


@pytest.mark.parametrize("folder", ["eadewusic__Traffic-Optimization-Capstone-Project",
                                    "AmritAmar__UnityMLAgents_MoveToGoal"])
def test_real_rl_runs_get_no_supervised_findings(folder):
    # Real SB3 PPO runs used to show underfitting (value loss 1.6e3 -> 7e3) and lr oscillation.
    from diagnostics.reader import load
    from tests.conftest import SHARED

    root = SHARED / "reallogs" / folder
    if not root.exists():
        pytest.skip("shared/reallogs not available")
    runs = load(root).runs
    assert runs and all(run.writer in ("stable-baselines3", "ml-agents") for run in runs)
    for run in runs:
        report = diagnose(run)
        assert report.findings == (), (run.run, [english(f.message) for f in report.findings])
        reasons = {n.rule_id: english(n.reason) for n in report.not_assessed}
        assert "reinforcement-learning" in reasons["underfitting"]
        assert "reinforcement-learning" in reasons["lr_oscillation"]


def test_reader_frames_are_categorical_and_rundata_reads_them():
    # run/tag as category: st.cache_data pickles the frames, a string per row made them big.
    import pickle

    import pandas as pd

    from diagnostics.reader import load
    from tests.conftest import REPO

    run = load(REPO / "sample_runs" / "healthy").runs[0]
    for frame in (run.scalars, run.histograms):
        assert isinstance(frame["tag"].dtype, pd.CategoricalDtype)
        assert isinstance(frame["run"].dtype, pd.CategoricalDtype)
    as_strings = run.scalars.astype({"run": object, "tag": object})
    assert len(pickle.dumps(run.scalars)) < len(pickle.dumps(as_strings))  # 50 MB logdir: -28 %
    counts = run.point_counts()
    assert list(counts) == sorted(counts) and all(n > 0 for n in counts.values())
    assert counts["train/loss"] == int((as_strings["tag"] == "train/loss").sum())
    loss = run.scalar("train/loss")
    assert len(loss) == counts["train/loss"] and loss.index.is_monotonic_increasing
    assert set(run.layers("grad_norm")) and run.histogram_tags("act")
    assert diagnose(run).findings == ()
