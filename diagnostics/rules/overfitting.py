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

The rise must also matter, not just be large relative to a tiny improvement:
- it must exceed `min_rise_over_noise` times the val curve's own jitter (median deviation
  from its rolling median). A log that starts at a floor (a fine-tuned or resumed Keras run:
  val loss ~1e-4 from the first epoch, jumping ±30 % epoch to epoch) gives back 8 % of an
  "improvement" that is itself noise; its rise is ~1x its jitter, real overfitting on our
  grid is >= 9x.
- when val/acc is logged and stays at its ceiling (every point from the onset on >= 99.9 %),
  there is no generalisation error left to grow: the loss only moves in the noise of
  near-certain, correct predictions. Otherwise the val/acc change is reported alongside.

Early stopping contains overfitting: when the run's config has `early_stopping_patience`
> 0 and at most patience + 1 val points follow the val minimum (the run ended there), the
rise after the minimum is the patience window the stopper needs to see, and the delivered
model is the best checkpoint, saved at the minimum. The rule then stays quiet, so the
early-stopping remedy can resolve this finding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, judgeable_loss, text
from diagnostics.rundata import RunData

ID = "overfitting"
NEEDS = (("train/loss", "val/loss"),)
TO_LOG = {"en": "log the validation loss (val/loss) once per epoch next to train/loss",
          "zh": "每个 epoch 记录一次验证损失（val/loss），并记录 train/loss"}
MESSAGE = {
    "en": "val/loss reached its minimum {low} at step {onset}, then rose {rise_pct}% to {end}, "
          "giving back {lost_pct}% of its improvement (threshold {threshold_pct}%), while "
          "train/loss went from {train_at} to {train_end}{acc}.",
    "zh": "val/loss 在第 {onset} 步达到最低值 {low}，之后上升了 {rise_pct}% 到 {end}，"
          "回吐了 {lost_pct}% 的改进（阈值 {threshold_pct}%），而 train/loss 从 {train_at} "
          "降到 {train_end}{acc}。",
}
ACC_NOTE = {"en": ", and val/acc from {acc_at} to {acc_end}",
            "zh": "，val/acc 从 {acc_at} 变为 {acc_end}"}


@dataclass(frozen=True)
class Thresholds:
    min_given_back: float = 0.025  # (final val - its minimum) / (start - minimum)
    full_at: float = 0.25  # given-back share at which confidence reaches 1
    min_rise: float = 0.05  # (final val - its minimum) / minimum: guards tiny improvements
    min_points_after: int = 3  # val points after the minimum (persistence)
    min_val_points: int = 5
    train_tolerance: float = 0.1  # train may end at most this fraction above its onset level
    min_rise_over_noise: float = 3.0  # (final val - minimum) / val jitter: a trend, not noise
    acc_ceiling: float = 0.999  # val/acc at or above this from the onset on: nothing to lose


def check(run: RunData, th: Thresholds, lang: str) -> Finding | NotAssessed | None:
    val = sig.finite(run.scalar("val/loss"))
    train = sig.finite(run.scalar("train/loss"))
    problem = judgeable_loss(ID, "val/loss", val, th.min_val_points, TO_LOG, lang)
    if problem:
        return problem
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
    if _stopped_early(run, val):
        return None
    noise = sig.jitter(val)
    if end - low < th.min_rise_over_noise * noise:
        return None
    acc = _val_acc(run, onset)
    if acc is not None and acc[2] >= th.acc_ceiling:
        return None
    last = int(val.index[-1])
    return finding(
        ID, message=MESSAGE, lang=lang, severity=Severity.WARNING,
        confidence=sig.confidence(lost, th.min_given_back, th.full_at), onset_step=onset,
        evidence=[
            Evidence(tag="val/loss", steps=(onset, last),
                     statistic="share of improvement given back", value=lost,
                     threshold=th.min_given_back,
                     marks={"minimum": low, "start": start, "rise": rise, "jitter": noise,
                            "level": low + th.min_given_back * (start - low)}),
            Evidence(tag="train/loss", steps=(onset, last),
                     statistic="end / onset level", value=train_end / train_at if train_at else 0,
                     threshold=1 + th.train_tolerance),
        ],
        low=low, onset=onset, rise_pct=100 * rise, end=end, lost_pct=100 * lost,
        threshold_pct=100 * th.min_given_back,
        train_at=train_at, train_end=train_end,
        acc=text(ACC_NOTE, lang).format(acc_at=f"{acc[0]:.3g}", acc_end=f"{acc[1]:.3g}")
        if acc is not None else "",
    )


def _stopped_early(run: RunData, val) -> bool:
    """The run stopped on its own early-stopping rule at the val minimum: at most patience + 1
    val points follow the (raw) minimum, the epochs the stopper waited before ending the run."""
    try:
        patience = int((run.config or {}).get("early_stopping_patience") or 0)
    except (TypeError, ValueError):  # a foreign hparam under our name: not ours to trust
        return False
    after = len(val) - 1 - int(np.argmin(val.to_numpy()))
    return patience > 0 and after <= patience + 1


def _val_acc(run: RunData, onset: int) -> tuple[float, float, float] | None:
    """(val/acc at the onset, at the end, its lowest from the onset on) as fractions, or None
    when val/acc is not logged after the onset."""
    acc = run.scalar("val/acc")
    acc = sig.finite(acc) if acc is not None else None
    if acc is None or not len(acc) or acc.index[-1] < onset:
        return None
    if acc.max() > 1.0:  # logged in percent
        acc = acc / 100.0
    at = float(np.interp(onset, acc.index, sig.smooth(acc, 3).to_numpy()))
    return at, sig.end_level(acc, 0.0, 3), float(acc[acc.index >= onset].min())


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


def _stopped_run(epochs: int, patience: int, name: str) -> RunData:
    # Val loss falls to its minimum at epoch 8, then rises for the rest of the run: what an
    # early stopper with `patience` sees before it ends the run at epoch 8 + patience.
    run = SyntheticRun(name, config={"early_stopping_patience": patience})
    ts, vs = curves.train_steps(epochs), curves.val_steps(epochs)
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.05, 40, noise=0.2))
    val = 0.5 + 1.8 * np.exp(-vs / 40) + 0.006 * np.maximum(vs - 8 * curves.STEPS_PER_EPOCH, 0)
    return run.scalar("val/loss", vs, val).build()


def _early_stopped() -> RunData:
    # Stopped 5 epochs after the minimum by its patience-5 stopper: best.pt is the minimum.
    return _stopped_run(epochs=13, patience=5, name="early_stopped")


def _patience_but_trained_on() -> RunData:
    # The config names a patience, yet 12 epochs followed the minimum: nothing stopped it.
    return _stopped_run(epochs=20, patience=3, name="patience_ignored")


def _with_val_acc(name: str, losses: RunData, acc) -> RunData:
    """`losses`' train and val loss curves, plus val/acc from `acc(val_steps)`."""
    run = SyntheticRun(name)
    for tag in ("train/loss", "val/loss"):
        series = losses.scalar(tag)
        run.scalar(tag, series.index, series.to_numpy())
    vs = curves.val_steps()
    return run.scalar("val/acc", vs, acc(vs)).build()


def _u_shaped_with_acc() -> RunData:
    # Memorising noisy labels: val/acc falls from 0.86 to 0.72 as val/loss climbs.
    return _with_val_acc("overfit_acc", _u_shaped_val(),
                         lambda vs: 0.72 + 0.14 * np.exp(-np.maximum(vs - 100, 0) / 80))


def _noise_at_floor() -> RunData:
    # A real Keras log (a bird classifier) that starts at a floor: fine-tuned or resumed, val
    # loss ~1e-4 from the first epoch and jumping +-30 % epoch to epoch; the last epochs sit
    # ~1x that jitter above the minimum. val/acc left out: the jitter test alone decides.
    run = SyntheticRun("floor")
    epochs = np.arange(30)
    run.scalar("train/loss", epochs, curves.decay(epochs, 3e-4, 8e-5, 15, noise=0.1))
    val = 1e-4 * np.array([4.7, 4.8, 2.7, 3.8, 2.7, 3.2, 3.8, 2.4, 2.4, 2.8, 2.1, 2.7, 2.6, 2.4,
                           1.7, 2.4, 1.9, 1.5, 1.8, 1.5, 2.0, 1.6, 1.3, 1.8, 0.79, 1.0, 1.05,
                           1.1, 1.7, 1.3])
    return run.scalar("val/loss", epochs, val).build()


def _perfect_val_acc() -> RunData:
    # A clean val-loss rise while every validation sample stays correctly classified.
    return _with_val_acc("perfect", _late_rise(), lambda vs: np.ones(len(vs)))


EXAMPLES = Examples(fires=(_u_shaped_val, _late_rise, _u_shaped_with_acc,
                           _patience_but_trained_on),
                    quiet=(_healthy, _one_bad_epoch, _healthy_creep, _both_rise, _early_stopped,
                           _noise_at_floor, _perfect_val_acc))
RULE = Rule(ID, check, Thresholds(), NEEDS, TO_LOG, EXAMPLES, __doc__ or "")
