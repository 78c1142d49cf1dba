"""overfitting — the validation loss turned upwards while the training loss kept falling.

Why it matters: the model memorises the training set instead of learning what generalises;
more training makes it worse (documents' order: the run learns but does not generalise).

Evidence: `val/loss` and `train/loss`. The val loss is median-smoothed (window 3) to ignore
one-epoch blips; the onset is the step of its minimum. The statistic is the share of its
improvement the val loss gave back: (end - minimum) / (start - minimum), start being the
highest first value of train/val loss (the untrained net). It separates much better than the
rise over the minimum alone: a healthy big net's val loss may creep up 10-14 % from a tiny
minimum (giving back < 1 % of its improvement), while real overfitting gives back 5-35 %
(measured on our grid). Fires when that share is at least `min_given_back` and the val loss
also rose at least `min_rise` over its minimum, with at least `min_points_after` val points
after it, while the smoothed train loss at the end is no higher than at the onset (if train
rises too, the run is unstable, not overfitting).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, too_few, unusable_loss
from diagnostics.rundata import RunData

ID = "overfitting"
NEEDS = (("train/loss", "val/loss"),)
TO_LOG = {"en": "log the validation loss (val/loss) once per epoch next to train/loss",
          "zh": "每个 epoch 记录一次验证损失（val/loss），并记录 train/loss"}
MESSAGE = {
    "en": "val/loss reached its minimum {low} at step {onset}, then rose {rise_pct}% to {end}, "
          "giving back {lost_pct}% of its improvement (threshold {threshold_pct}%), while "
          "train/loss went from {train_at} to {train_end}.",
    "zh": "val/loss 在第 {onset} 步达到最低值 {low}，之后上升了 {rise_pct}% 到 {end}，"
          "回吐了 {lost_pct}% 的改进（阈值 {threshold_pct}%），而 train/loss 从 {train_at} "
          "降到 {train_end}。",
}


@dataclass(frozen=True)
class Thresholds:
    min_given_back: float = 0.025  # (final val - its minimum) / (start - minimum)
    full_at: float = 0.25  # given-back share at which confidence reaches 1
    min_rise: float = 0.05  # (final val - its minimum) / minimum: guards tiny improvements
    min_points_after: int = 3  # val points after the minimum (persistence)
    min_val_points: int = 5
    train_tolerance: float = 0.1  # train may end at most this fraction above its onset level


def check(run: RunData, th: Thresholds, lang: str) -> Finding | NotAssessed | None:
    val = sig.finite(run.scalar("val/loss"))
    train = sig.finite(run.scalar("train/loss"))
    if len(val) < th.min_val_points:
        return too_few(ID, "val/loss", len(val), th.min_val_points, TO_LOG, lang)
    unusable = unusable_loss(ID, "val/loss", val, lang)
    if unusable:
        return unusable
    smooth_val = sig.smooth(val, 3)
    i_min = int(np.argmin(smooth_val.to_numpy()))
    onset = int(smooth_val.index[i_min])
    if len(val) - 1 - i_min < th.min_points_after:
        return None
    low = float(smooth_val.iloc[i_min])
    end = float(np.median(val.iloc[-3:]))
    rise = (end - low) / low if low > 0 else 0.0
    start = max(float(val.iloc[0]), float(train.iloc[0]) if len(train) else -np.inf)
    lost = (end - low) / (start - low) if start > low else 0.0
    smooth_train = sig.smooth(train, sig.auto_window(len(train), 0.1, lo=3))
    train_at = float(np.interp(onset, smooth_train.index, smooth_train.to_numpy()))
    train_end = sig.end_level(train)
    if (lost < th.min_given_back or rise < th.min_rise
            or train_end > train_at * (1 + th.train_tolerance)):
        return None
    last = int(val.index[-1])
    return finding(
        ID, message=MESSAGE, lang=lang, severity=Severity.WARNING,
        confidence=sig.confidence(lost, th.min_given_back, th.full_at), onset_step=onset,
        evidence=[
            Evidence(tag="val/loss", steps=(onset, last),
                     statistic="share of improvement given back", value=lost,
                     threshold=th.min_given_back,
                     marks={"minimum": low, "start": start, "rise": rise,
                            "level": low + th.min_given_back * (start - low)}),
            Evidence(tag="train/loss", steps=(onset, last),
                     statistic="end / onset level", value=train_end / train_at if train_at else 0,
                     threshold=1 + th.train_tolerance),
        ],
        low=low, onset=onset, rise_pct=100 * rise, end=end, lost_pct=100 * lost,
        threshold_pct=100 * th.min_given_back,
        train_at=train_at, train_end=train_end,
    )


# ---- examples ---------------------------------------------------------------------------
def _u_shaped_val(seed: int = 0) -> RunData:
    run = SyntheticRun("overfit")
    ts, vs = curves.train_steps(), curves.val_steps()
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.01, 50, noise=0.2, seed=seed))
    dip = 0.25 + 2.0 * np.exp(-vs / 40) + 0.004 * np.maximum(vs - 100, 0)
    rng = np.random.default_rng(seed)
    return run.scalar("val/loss", vs, dip * np.exp(0.03 * rng.standard_normal(len(vs)))).build()


def _late_rise() -> RunData:
    run = curves.healthy(SyntheticRun("late_rise"), val_floor=0.2)
    vs = curves.val_steps()
    val = curves.decay(vs, 2.3, 0.2, 60)
    val[-6:] = [0.26, 0.3, 0.33, 0.36, 0.4, 0.45]
    return run.scalar("val/loss", vs, val).build()


def _healthy() -> RunData:
    return curves.healthy().build()


def _one_bad_epoch() -> RunData:
    run = curves.healthy(SyntheticRun("blip"))
    vs = curves.val_steps()
    val = curves.decay(vs, 2.3, 0.12, 60, noise=0.02)
    val[12] *= 2.0  # one noisy evaluation, not a trend
    return run.scalar("val/loss", vs, val).build()


def _healthy_creep() -> RunData:
    # A big healthy net: val loss creeps from 0.134 to 0.16 (+20 %) but gives back < 2 % of
    # the 2.3 -> 0.13 improvement; val accuracy does not move. Not worth a finding.
    run = curves.healthy(SyntheticRun("creep"))
    vs = curves.val_steps()
    val = np.r_[curves.decay(vs[:9], 1.6, 0.13, 30), np.linspace(0.134, 0.161, len(vs) - 9)]
    return run.scalar("val/loss", vs, val).build()


def _both_rise() -> RunData:
    run = SyntheticRun("unstable")
    ts, vs = curves.train_steps(), curves.val_steps()
    shape = lambda s: 0.3 + 2.0 * np.exp(-s / 40) + 0.004 * np.maximum(s - 100, 0)  # noqa: E731
    return run.scalar("train/loss", ts, shape(ts)).scalar("val/loss", vs, shape(vs)).build()


EXAMPLES = Examples(fires=(_u_shaped_val, _late_rise),
                    quiet=(_healthy, _one_bad_epoch, _healthy_creep, _both_rise))
RULE = Rule(ID, check, Thresholds(), NEEDS, TO_LOG, EXAMPLES, __doc__ or "")
