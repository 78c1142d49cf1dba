"""underfitting — the training loss stays high: the model does not even fit its training data.

Why it matters: if training accuracy is low, test accuracy cannot be good; the documents say
to fix the optimisation first ("train accuracy 不高", document 001 §一, 004 §3), before
looking at generalisation (documents' order: second stage, "cannot learn").

Evidence: `train/loss` only. The end level (median of the last 10 % of points, at least 3)
over the start level (the first logged point: the untrained net's loss) — the share of the
initial loss the run is still left with. For a classifier starting at chance level, keeping half of it means it
barely beat guessing. When `train/acc` is logged its end level is reported alongside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, judgeable_loss, text
from diagnostics.rundata import RunData

ID = "underfitting"
NEEDS = (("train/loss",),)
TO_LOG = {"en": "log the training loss (train/loss) every few steps",
          "zh": "每隔几步记录训练损失（train/loss）"}
MESSAGE = {
    "en": "train/loss is still at {value_pct}% of where it started ({start} → {end}; "
          "threshold {threshold_pct}%){acc}: the model does not fit its training data.",
    "zh": "train/loss 仍为起始值的 {value_pct}%（{start} → {end}；阈值 {threshold_pct}%）{acc}："
          "模型连训练数据都拟合不好。",
}
ACC_NOTE = {"en": ", train accuracy {acc_pct}%", "zh": "，训练准确率 {acc_pct}%"}


@dataclass(frozen=True)
class Thresholds:
    min_remaining: float = 0.5  # end / start level of train/loss
    full_at: float = 1.0  # no progress at all gives confidence 1
    min_points: int = 6


def check(run: RunData, th: Thresholds, lang: str) -> Finding | NotAssessed | None:
    loss = sig.finite(run.scalar("train/loss"))
    problem = judgeable_loss(ID, "train/loss", loss, th.min_points, TO_LOG, lang)
    if problem:
        return problem
    start, end = sig.start_level(loss), sig.end_level(loss)
    remaining = end / start
    if remaining < th.min_remaining:
        return None
    acc = sig.finite(run.scalar("train/acc")) if run.has("train/acc") else None
    acc_note = (text(ACC_NOTE, lang).format(acc_pct=f"{100 * sig.end_level(acc):.3g}")
                if acc is not None and len(acc) else "")
    window_start = int(sig.tail(loss, 0.1, 3).index[0])
    return finding(
        ID, message=MESSAGE, lang=lang, severity=Severity.WARNING,
        confidence=sig.confidence(remaining, th.min_remaining, th.full_at),
        onset_step=int(loss.index[0]),
        evidence=[Evidence(tag="train/loss", steps=(window_start, int(loss.index[-1])),
                           statistic="end / start level", value=remaining,
                           threshold=th.min_remaining,
                           marks={"start": start, "level": th.min_remaining * start})],
        value_pct=100 * remaining, start=start, end=end, threshold_pct=100 * th.min_remaining,
        acc=acc_note,
    )


# ---- examples ---------------------------------------------------------------------------
def _stalled() -> RunData:
    ts = curves.train_steps()
    return SyntheticRun("lr_tiny").scalar(
        "train/loss", ts, curves.decay(ts, 2.3, 2.2, 400, noise=0.02)).build()


def _tiny_model() -> RunData:
    ts = curves.train_steps()
    run = SyntheticRun("width_2").scalar("train/loss", ts,
                                         curves.decay(ts, 2.4, 1.6, 200, noise=0.05))
    return run.scalar("train/acc", ts, np.linspace(0.1, 0.35, len(ts))).build()


def _healthy() -> RunData:
    return curves.healthy().build()


def _two_class_healthy() -> RunData:
    ts = curves.train_steps()
    return SyntheticRun("moons").scalar(
        "train/loss", ts, curves.decay(ts, 0.69, 0.25, 50, noise=0.2)).build()


EXAMPLES = Examples(fires=(_stalled, _tiny_model), quiet=(_healthy, _two_class_healthy))
RULE = Rule(ID, check, Thresholds(), NEEDS, TO_LOG, EXAMPLES, __doc__ or "")
