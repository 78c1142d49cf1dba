"""What a run's curves measure: validation metrics and their direction, losses that do not
measure fit (GAN, RL, contrastive), the run's task and the remedies that can help it — on
event files written by the real writer (torch's SummaryWriter)."""
from __future__ import annotations

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from diagnostics import tag_hints, tags
from diagnostics.engine import diagnose
from diagnostics.messages import english
from diagnostics.reader import load
from diagnostics.remedies import CATALOGUE, remedies_for
from diagnostics.rules import RULES, curves
from diagnostics.rules.base import SyntheticRun


def _write(folder, curves_by_tag: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    with SummaryWriter(str(folder)) as w:
        for tag, (steps, values) in curves_by_tag.items():
            for s, v in zip(steps, values):
                w.add_scalar(tag, float(v), int(s))


@pytest.mark.parametrize("tag,direction", [
    ("metrics/mAP_0.5", 1), ("bbox/AP", 1), ("sem_seg/mIoU", 1), ("eval/f1", 1), ("val_bleu", 1),
    ("val/psnr", 1), ("acc/val_acc", 1), ("eval/rouge1", 1),
    ("val/loss", -1), ("eval/perplexity", -1), ("val_mae", -1), ("val/error", -1), ("val/wer", -1),
])
def test_metric_directions(tag, direction):
    assert tag_hints.metric_direction(tag) == direction


def test_validation_metrics_are_mapped_best_first():
    m = tags.map_tags(["metrics/mAP_0.5", "metrics/mAP_0.5:0.95", "metrics/precision"])
    assert m["metrics/mAP_0.5"] == "val/metric" and m["metrics/mAP_0.5:0.95"] is None
    assert tags.map_tags(["val/COCOAP50", "val/COCOAP50_95"])["val/COCOAP50"] == "val/metric"
    assert tags.map_tags(["eval/f1", "eval/loss"])["eval/f1"] == "val/metric"
    assert tags.map_tags(["acc/val_acc", "acc/train_acc"]) == {"acc/val_acc": "val/acc",
                                                              "acc/train_acc": "train/acc"}


def test_a_metric_that_peaks_and_falls_is_overfitting_evidence(tmp_path):
    # A detector validated only by mAP (YOLOv5 names): 0.79 at epoch 60, 0.63 at the end.
    epochs = np.arange(120)
    mAP = 0.05 + 0.74 * (1 - np.exp(-epochs / 12)) - 0.0028 * np.maximum(epochs - 60, 0)
    _write(tmp_path / "exp", {"metrics/mAP_0.5": (epochs, mAP),
                              "train/box_loss": (epochs, 0.1 * np.exp(-epochs / 40) + 0.02),
                              "train/obj_loss": (epochs, 0.05 * np.exp(-epochs / 40) + 0.01)})
    run = load(tmp_path / "exp").runs[0]
    report = diagnose(run)
    over = {f.rule_id: f for f in report.findings}["overfitting"]
    assert over.evidence[0].tag == "val/metric" and "metrics/mAP_0.5" in english(over.message)
    assert over.evidence[0].marks["best"] == pytest.approx(mAP.max(), abs=0.01)
    # the same metric still rising to the end is no evidence
    _write(tmp_path / "fine", {"metrics/mAP_0.5": (epochs, np.maximum.accumulate(mAP)),
                               "train/box_loss": (epochs, 0.1 * np.exp(-epochs / 40) + 0.02),
                               "train/obj_loss": (epochs, 0.05 * np.exp(-epochs / 40) + 0.01)})
    assert "overfitting" not in {f.rule_id for f in diagnose(load(tmp_path / "fine").runs[0]).findings}


def test_val_loss_and_metric_disagreeing_is_said_and_weaker():
    run = SyntheticRun("disagree")
    ts, vs = curves.train_steps(), curves.val_steps()
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.05, 40))
    run.scalar("val/loss", vs, 0.25 + 2.0 * np.exp(-vs / 40) + 0.004 * np.maximum(vs - 100, 0))
    run.scalar("eval/f1", vs, np.linspace(0.3, 0.9, len(vs)))
    built = run.build().with_mapping({"eval/f1": "val/metric"})
    found = RULES["overfitting"].run(built)
    assert "kept improving" in english(found.message) and found.confidence <= 0.5


def test_gan_losses_are_not_judged_for_fit_but_its_reconstruction_loss_is(tmp_path):
    epochs = np.arange(20)
    _write(tmp_path / "gan", {
        "train/loss_D": (epochs, 0.6 + 0.05 * np.sin(epochs)),
        "train/loss_G": (epochs, 8.0 - 0.1 * epochs),
        "train/loss_G_l1": (epochs, 6.0 * np.exp(-epochs / 8) + 1.0),
        "val/loss_D": (epochs, 0.6 + 0.05 * np.cos(epochs)),
        "val/loss_G_l1": (epochs, np.r_[6.0 * np.exp(-epochs[:10] / 4) + 1.0,
                                        1.1 + 0.12 * np.arange(1, 11)]),
    })
    run = load(tmp_path / "gan").runs[0]
    assert run.loss_kind() == "adversarial"
    assert run.originals_for("train/loss") == ["train/loss_G_l1"]  # the fit measure, not G+D
    report = diagnose(run)
    reasons = {n.rule_id: english(n.reason) for n in report.not_assessed}
    assert "GAN" in reasons["underfitting"] and "GAN" in reasons["lr_oscillation"]
    assert "overfitting" in {f.rule_id for f in report.findings}  # val L1 rose while train fell


@pytest.mark.parametrize("names,kind", [
    (["episode/Reward", "episode/Policy Loss", "train_loss"], "reinforcement"),
    (["d_loss", "g_loss"], "adversarial"),
    (["train/contrastive_loss"], "contrastive"),
    (["train_loss", "val_loss", "val_acc"], None),
])
def test_loss_kinds(names, kind):
    assert tag_hints.loss_kind(names) == kind


def test_a_loss_that_touches_zero_once_is_still_judged():
    ts = curves.train_steps()
    loss = curves.decay(ts, 2.3, 0.05, 40)
    loss[40] = 0.0  # one batch fitted perfectly
    run = SyntheticRun("zero").scalar("train/loss", ts, loss).build()
    report = diagnose(run)
    assert {"divergence", "underfitting"} <= set(report.passed)


def test_remedies_that_cannot_help_the_task_come_last_marked():
    assert tag_hints.task_of(["train/box_loss", "metrics/mAP_0.5"], "yolov5") == "detection"
    assert tag_hints.task_of(["train_loss", "val_loss", "val_mae"]) == "regression"
    assert tag_hints.task_of(["epoch_loss", "epoch_accuracy"], "keras") == "classification"
    assert tag_hints.task_of(["loss", "eval_loss"]) is None
    ids = [e.id for e in CATALOGUE["underfitting"]]
    assert [r.id for r in remedies_for("underfitting", "en", None)] == ids
    assert [r.id for r in remedies_for("underfitting", "en", "classification")] == ids
    detector = remedies_for("underfitting", "en", "detection")
    assert [r.id for r in detector] == [i for i in ids if i != "underfitting.loss"] + ["underfitting.loss"]
    assert not detector[-1].applies and "object detector" in detector[-1].not_applicable
    assert all(r.applies for r in detector[:-1])
    zh = remedies_for("underfitting", "zh", "regression")[-1]
    assert not zh.applies and "回归" in zh.not_applicable


@pytest.mark.parametrize("builder", __import__("diagnostics.rules.vanishing_gradient",
                                               fromlist=["CANNOT_CLEAR"]).CANNOT_CLEAR)
def test_a_total_gradient_norm_alone_cannot_clear_vanishing_gradients(builder):
    # A flat loss with a total norm that is not tiny: the early layers may still starve.
    result = RULES["vanishing_gradient"].run(builder())
    assert result.__class__.__name__ == "NotAssessed" and "total gradient norm" in english(result.reason)
    assert "first layers" in english(result.reason) and result.to_log
