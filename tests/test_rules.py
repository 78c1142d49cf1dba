"""Every rule against its own examples (ruff/Fixit style: tests generated from the rule module),
plus the contract each rule module keeps: doc, typed thresholds, needs, its words (message keys
rendered in en and zh at the edge)."""
from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from diagnostics.messages import english, render
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
    result = rule.run(builder())
    if kind == "quiet":
        assert result is None, getattr(result, "message", result)
        return
    assert isinstance(result, Finding), result
    assert result.rule_id == rule_id and result.task is None  # the engine tells which remedies fit
    assert 0.5 <= result.confidence <= 1.0  # past its threshold: at least half confident
    assert result.evidence and result.message.key.startswith(f"{rule_id}.")
    assert english(result.message) != result.message.key and not CJK.search(english(result.message))
    for ev in result.evidence:
        assert ev.tag and ev.statistic and ev.steps[0] <= ev.steps[1]
    assert result.onset_step is not None and result.onset_step <= result.evidence[0].steps[1]
    # the same finding in Chinese: words rendered at the edge, not a second judgement
    assert CJK.search(render(result.message, "zh")) and CJK.search(render(result.title, "zh"))


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
    assert (module.ID, module.TITLE, module.SHORT_NAME, module.STAGE) == (rule.id, rule.title, rule.short_name,
                                                                       rule.stage)
    assert rule.needs == module.NEEDS and rule.texts is module.TEXT and module.RULE is rule
    assert CJK.search(render(rule.to_log, "zh")) and english(rule.to_log) == module.TEXT["to_log"]


@pytest.mark.parametrize("rule_id", DIAGNOSIS_ORDER)
def test_missing_inputs_are_not_assessed_with_what_to_log(rule_id):
    empty = SyntheticRun("empty").scalar("train/acc", [0, 1], [0.1, 0.2]).build()
    result = RULES[rule_id].run(empty)
    assert isinstance(result, NotAssessed)
    assert "does not log" in english(result.reason) and result.to_log


def test_thresholds_change_the_judgement():
    rule = RULES["overfitting"]
    fires = rule.examples.fires[1]()
    assert isinstance(rule.run(fires), Finding)
    assert rule.with_thresholds(min_given_back=0.9, trend_rise=10.0).run(fires) is None


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


def test_overfitting_quiet_examples_are_quiet_for_their_stated_reason():
    from dataclasses import replace

    from diagnostics.rules import overfitting_examples as ov
    rule = RULES["overfitting"]
    stopped = ov.early_stopped()
    assert rule.run(stopped) is None
    # the same curves without the stopper in the config: the patience window looks like a rise
    assert isinstance(rule.run(replace(stopped, config=None)), Finding)
    assert isinstance(rule.run(replace(stopped, config={"early_stopping_patience": 2})), Finding)
    # the floor's rise is real in ratio terms; only the jitter test calls it noise
    assert isinstance(rule.with_thresholds(min_rise_over_noise=0.0).run(ov.noise_at_floor()),
                      Finding)
    # a perfect val/acc silences a rise that fires without it
    assert rule.with_thresholds(acc_ceiling=1.01).run(ov.perfect_val_acc()) is not None
    degrading = rule.run(ov.u_shaped_with_acc())
    assert "val/acc went from 0.844 to 0.723" in english(degrading.message)  # at the onset, at the end


REALLOGS = Path("/work/shared/reallogs")


@pytest.mark.skipif(not REALLOGS.is_dir(), reason="real logs not present")
def test_no_overfitting_at_a_noisy_floor_with_perfect_accuracy():
    # Keras bird classifier: val loss 1e-4 -> 1.3e-4 while train and val accuracy stay 1.0.
    from diagnostics.reader import load

    runs = load(REALLOGS / "bishalrocks1234__Bird-Classifier" / "logs").runs  # two fit() calls
    run = next(r for r in runs if r.has("val/acc") and r.scalar("val/acc").min() == 1.0)
    assert RULES["overfitting"].run(run) is None
    # each guard alone is enough: the jitter test without val/acc, the ceiling without jitter
    assert RULES["overfitting"].run(run.with_mapping({"validation/epoch_accuracy": None})) is None
    assert RULES["overfitting"].with_thresholds(min_rise_over_noise=0.0).run(run) is None


@pytest.mark.skipif(not REALLOGS.is_dir(), reason="real logs not present")
def test_no_oscillation_in_a_val_loss_still_falling_steeply():
    # Trax sentiment model: val loss 0.0027 -> 7e-4 -> 7.6e-5 over its last evaluations.
    from diagnostics.reader import load

    run = load(REALLOGS / "CostaFernando__sentiment-with-deep-neural-networks-and-trax").runs[0]
    assert len(run.scalar("val/loss")) == 11
    assert RULES["lr_oscillation"].run(run) is None


def test_underfitting_says_when_the_loss_is_still_falling():
    # A fine-tuned detector's loss: starts low, falls steadily, stopped while still learning.
    ts = np.arange(30)
    falling = SyntheticRun("still_learning").scalar("train/loss", ts, np.linspace(0.19, 0.136, 30)).build()
    f = RULES["underfitting"].run(falling)
    assert isinstance(f, Finding) and "still falling" in english(f.message)
    assert [e.statistic for e in f.evidence][1] == "fitted drop over the last quarter / end level"
    # the line falls 0.054/29 per step over steps 22-29; the end level is the last 3 points' median
    assert f.evidence[1].value == pytest.approx(0.054 * 7 / 29 / (0.19 - 0.054 * 28 / 29))
    # a stalled loss (the rule's own example) has no such note
    stalled = RULES["underfitting"].run(RULES["underfitting"].examples.fires[0]())
    assert isinstance(stalled, Finding) and "still falling" not in english(stalled.message)
    assert len(stalled.evidence) == 1
    # neither logs train/acc: said so, at lower confidence than with an accuracy to back it
    assert "Judged from the loss alone" in english(f.message)
    assert "Judged from the loss alone" in english(stalled.message)
    with_acc = RULES["underfitting"].run(RULES["underfitting"].examples.fires[1]())  # logs train/acc
    assert "Judged from the loss alone" not in english(with_acc.message)
    assert "train accuracy" in english(with_acc.message)
    run = RULES["underfitting"].examples.fires[0]()
    loss_only = RULES["underfitting"].with_thresholds(loss_only=1.0).run(run)
    assert stalled.confidence == pytest.approx(0.6 * loss_only.confidence, abs=1e-3)  # (rounded to 3 places)


def test_exploding_gradients_seen_only_by_the_first_of_few_points_still_fire():
    # Histograms every 50 steps of a run whose gradients burst at the start and then recovered
    # (from the quality grid: explode_d3_lr1e-2, seed 1): a 5-point median would hide it.
    steps = np.arange(0, 250, 50)
    burst = SyntheticRun("sparse_burst").scalar("grad_norm/total", steps, [745.9, 18.0, 15.3, 7.8, 0.01])
    f = RULES["exploding_gradient"].run(burst.scalar("train/loss", steps, [9.0, 2.0, 1.5, 1.2, 1.0]).build())
    assert isinstance(f, Finding) and f.onset_step == 0 and "a single point" in english(f.message)
    calm = SyntheticRun("sparse_calm").scalar("grad_norm/total", steps, [5.0, 3.0, 2.5, 2.0, 1.8])
    assert RULES["exploding_gradient"].run(calm.scalar("train/loss", steps, [2.3, 1.0, 0.5, 0.3, 0.2]).build()) is None


def _keras_logdir(root: Path, train: list[float], val: list[float]) -> Path:
    """A Keras-callback logdir (train/ + validation/, `epoch_loss` per epoch), real writer."""
    from torch.utils.tensorboard import SummaryWriter

    for side, values in (("train", train), ("validation", val)):
        with SummaryWriter(str(root / side)) as writer:
            for epoch, value in enumerate(values):
                writer.add_scalar("epoch_loss", value, epoch)
    return root


def test_a_few_epoch_means_that_swing_are_an_oscillation_a_smooth_few_are_not(tmp_path):
    # Keras logs one mean per epoch: six of them (SGD lr 0.5 on batch 16, from the quality
    # grid) are averages, not batch samples, so they are judged with the val curve.
    from diagnostics.reader import load
    from diagnostics.tag_hints import is_epoch_mean

    assert is_epoch_mean("epoch_loss") and is_epoch_mean("train_loss_epoch")
    assert not is_epoch_mean("train/loss") and not is_epoch_mean("train/epoch")
    swinging = load(_keras_logdir(tmp_path / "swing", [2.82, 3.29, 4.36, 4.69, 4.02, 3.07],
                                  [3.71, 3.42, 4.87, 3.76, 3.62, 5.21])).runs[0]
    f = RULES["lr_oscillation"].run(swinging)
    assert isinstance(f, Finding) and [e.tag for e in f.evidence] == ["train/loss", "val/loss"]
    smooth = load(_keras_logdir(tmp_path / "smooth", [1.9, 1.1, 0.8, 0.62, 0.55, 0.5],
                                [1.5, 1.0, 0.82, 0.74, 0.7, 0.69])).runs[0]
    assert RULES["lr_oscillation"].run(smooth) is None
    # the same six values as batch samples (a per-step tag, no val curve) are too few to tell
    samples = SyntheticRun("samples").scalar("train/loss", np.arange(6), swinging.scalar("train/loss").to_numpy())
    too_few = RULES["lr_oscillation"].run(samples.build())
    assert isinstance(too_few, NotAssessed) and "(6 < 20)" in english(too_few.reason)


def test_every_evidence_statistic_has_a_chinese_name():
    from diagnostics.statistic_names import ZH, statistic_name

    seen = set()
    for rule in RULES.values():
        for build in rule.examples.fires:
            result = rule.run(build())
            seen |= {e.statistic for e in result.evidence} if isinstance(result, Finding) else set()
    assert seen and seen <= set(ZH), seen - set(ZH)
    assert statistic_name("end / start level", "zh") == "末段水平 / 开始水平"
    assert statistic_name("end / start level", "en") == "end / start level"


def test_a_val_metric_wobbling_while_training_never_learned_is_no_overfitting():
    # From the quality grid (vanish_d4 s8, Hugging Face names): train loss 2.31 -> 2.30 for the
    # whole run, eval accuracy 0.067 -> 0.111 -> 0.089 around chance (10 classes).
    ts, vs = np.arange(0, 240, 5), np.arange(23, 240, 23)
    acc = [0.067, 0.08, 0.111, 0.111, 0.105, 0.095, 0.089, 0.089, 0.09, 0.089][:len(vs)]
    stuck = (SyntheticRun("stuck").scalar("train/loss", ts, np.linspace(2.31, 2.30, len(ts)))
             .scalar("val/acc", vs, acc))
    assert RULES["overfitting"].run(stuck.build()) is None
    learned = (SyntheticRun("learned").scalar("train/loss", ts, np.linspace(2.31, 0.4, len(ts)))
               .scalar("val/acc", vs, np.array(acc) * 8))
    assert isinstance(RULES["overfitting"].run(learned.build()), Finding)


def test_what_a_run_does_not_log_is_said_once_per_lack():
    from diagnostics.messages import render
    steps = np.arange(50)
    run = SyntheticRun("train-only").scalar("train/loss", steps, 1 / (1 + steps)).build()
    na = RULES["overfitting"].run(run)
    assert render(na.reason, "en") == "the run does not log val/loss or val/acc or val/metric"
