"""Every rule against its own examples (ruff/Fixit style: tests generated from the rule module),
plus the contract each rule module keeps: doc, typed thresholds, needs, en/zh messages."""
from __future__ import annotations

import dataclasses
import importlib
import re

import pytest

from diagnostics.model import Finding, NotAssessed
from diagnostics.remedies import DIAGNOSIS_ORDER
from diagnostics.rules import RULES
from diagnostics.rules.base import SyntheticRun

CASES = [(rid, kind, b) for rid, rule in RULES.items()
         for kind, builders in (("fires", rule.examples.fires), ("quiet", rule.examples.quiet))
         for b in builders]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule_id,kind,builder", CASES,
                         ids=[f"{r}-{k}-{b.__name__.strip('_')}" for r, k, b in CASES])
def test_rule_on_its_examples(rule_id, kind, builder):
    rule = RULES[rule_id]
    result = rule.run(builder(), "en")
    if kind == "quiet":
        assert result is None, getattr(result, "message", result)
        return
    assert isinstance(result, Finding), result
    assert result.rule_id == rule_id and not result.remedies  # the engine attaches remedies
    assert 0.5 <= result.confidence <= 1.0  # past its threshold: at least half confident
    assert result.evidence and result.message
    for ev in result.evidence:
        assert ev.tag and ev.statistic and ev.steps[0] <= ev.steps[1]
    assert result.onset_step is not None and result.onset_step <= result.evidence[0].steps[1]
    zh = rule.run(builder(), "zh")
    assert CJK.search(zh.message) and CJK.search(zh.title)
    assert zh.confidence == result.confidence  # language changes words, not judgement


@pytest.mark.parametrize("rule_id", DIAGNOSIS_ORDER)
def test_rule_module_contract(rule_id):
    rule = RULES[rule_id]
    module = importlib.import_module(f"diagnostics.rules.{rule_id}")
    assert module.__doc__ and module.__doc__.startswith(rule_id)
    assert rule.examples.fires and rule.examples.quiet
    th = rule.thresholds
    assert dataclasses.is_dataclass(th) and type(th).__dataclass_params__.frozen
    assert all(f.default is not dataclasses.MISSING for f in dataclasses.fields(th))
    assert rule.needs and all(rule.needs)
    assert CJK.search(rule.to_log["zh"]) and rule.to_log["en"]


@pytest.mark.parametrize("rule_id", DIAGNOSIS_ORDER)
def test_missing_inputs_are_not_assessed_with_what_to_log(rule_id):
    empty = SyntheticRun("empty").scalar("train/acc", [0, 1], [0.1, 0.2]).build()
    result = RULES[rule_id].run(empty, "en")
    assert isinstance(result, NotAssessed)
    assert "does not log" in result.reason and result.to_log


def test_thresholds_change_the_judgement():
    rule = RULES["overfitting"]
    fires = rule.examples.fires[1]()
    assert isinstance(rule.run(fires), Finding)
    assert rule.with_thresholds(min_given_back=0.9).run(fires) is None


def test_confidence_grows_with_the_statistic():
    from diagnostics.rules import curves

    def overfit(rise: float):
        run = curves.healthy(SyntheticRun("o"))
        vs = curves.val_steps()
        val = curves.decay(vs, 2.3, 0.2, 40)
        val[10:] = 0.2 + rise * (vs[10:] - vs[10]) / (vs[-1] - vs[10])
        return RULES["overfitting"].run(run.scalar("val/loss", vs, val).build())

    weak, strong = overfit(0.15), overfit(0.6)
    assert weak.confidence < strong.confidence


def test_rules_refuse_losses_they_cannot_judge():
    # An RL objective goes negative; a head-truncated log lacks the start of training.
    steps = list(range(0, 400, 10))
    negative = SyntheticRun("rl").scalar("train/loss", steps, [0.5 - 0.03 * i for i in range(40)])
    late = SyntheticRun("tail").scalar("train/loss", list(range(9000, 10000, 25)), [2.0] * 40)
    for run in (negative.build(), late.build()):
        for rule_id in ("divergence", "underfitting", "lr_oscillation"):
            result = RULES[rule_id].run(run)
            assert isinstance(result, NotAssessed), (rule_id, result)


def test_layers_sort_in_natural_order():
    from diagnostics.rules.gradients import natural_key
    assert sorted(["out", "fc10", "fc2"], key=natural_key) == ["fc2", "fc10", "out"]
