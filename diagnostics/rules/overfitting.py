"""overfitting — validation got worse while training kept improving.

Why it matters: the model memorises the training set instead of learning what generalises;
more training makes it worse (documents' order: the run learns but does not generalise).

Each kind of evidence is judged against training over the same steps: the train loss ends within
`train_tolerance` of its onset level (or train accuracy no lower), judged up to any breakdown
(NaN/inf); training that worsens too, or breaks down right after the onset, is instability.

1. The validation LOSS turned upwards from its minimum (the onset; median-smoothed over
   `smooth_window` points, its end the median of the last `end_points`), by either of:
   - giving back `min_given_back` of its improvement, (end - minimum) / (start - minimum), with a
     rise of `min_rise` over the minimum; the start is the higher of the first val point and the
     median of the first `start_points` train points (a first Keras epoch can average a wild
     start: 15.3, then 0.67). A big net's val loss creeping up 10-14 % gives back < 1 %;
   - a sustained climb: `trend_share` of the (earlier, later) pairs after the minimum rise, by a
     Theil-Sen fitted `trend_rise` (a forecaster falling 61 -> 0.86 gives back a tiny share, then
     climbs 0.864, 0.879, 0.918, 0.927, 1.014 while train keeps falling);
   - with only 3-4 evaluations (a 3-epoch fine-tune), each one after the minimum higher than the
     one before and `few_rise` above it, while training falls to `few_train_fall` of its onset
     level and never breaks down (confidence `few_confidence`).
   The rise must beat `min_rise_over_noise` times the curve's own jitter (a val loss ~1e-4
   jumping +-30 % at a floor), after `min_points_after` points (`few_points_after` with few). A
   val/acc at its ceiling (`acc_ceiling` from the onset on) leaves no error to grow; one ending
   no lower than at the onset overrules a reading below `acc_overrules` (confident mistakes
   about a few examples).
2. A validation METRIC (`val/acc`, or `val/metric`: mAP, F1, BLEU... or error, perplexity)
   peaked, then lost `metric_drop_share` of its gain from the first point to the best and
   `metric_min_drop` of the best itself, beyond `min_rise_over_noise` times its jitter; only
   after a real gain (`metric_min_gain` of its size: a chance-level accuracy wobbling 0.089 ->
   0.111 -> 0.089 gained nothing) in a run whose train loss learned (`metric_train_learned`).
   Detectors and classifiers often log validation only as a metric (YOLO mAP 0.79 -> 0.63). Val
   accuracy that fell while the val loss held is no evidence: the loss measures it more finely.
The loss evidence comes first. Where the other curve disagrees, the finding says so at lower
confidence: times `disagree_factor` when the metric still improved (by `still_over_noise` times
its jitter; the metric is what the run is judged by), `loss_disagrees_factor` when the metric
fell and the val loss held.

Early stopping contains overfitting (`validation.stopped_early`): when the run's own stopper
ended it within its patience of the best point, the delivered model is the best checkpoint, and
the rule stays quiet so that the early-stopping remedy can resolve this finding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics.messages import Msg
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import overfitting_examples as ex
from diagnostics.rules import validation
from diagnostics.rules.base import Examples, Rule, finding, msg, too_few, unusable_loss
from diagnostics.rules.train_side import TrainSide, train_side
from diagnostics.rules.validation import Curve
from diagnostics.rundata import RunData

ID = "overfitting"
TITLE = "Overfitting: the model does not generalise"
SHORT_NAME = "Overfitting"
STAGE = 3
NEEDS = (("train/loss", "val/loss"), ("train/loss", "val/acc"), ("train/acc", "val/acc"),
         ("train/loss", "val/metric"), ("train/acc", "val/metric"))
TEXT = {
    "to_log": "log the validation loss (val/loss) or a validation metric (accuracy, mAP...) once "
              "per epoch next to train/loss",
    "found": "val/loss reached its minimum {low} at step {onset}, then rose {rise_pct}% to {end}, "
             "{how}, while {train}.{note}",
    "given_back": "giving back {lost_pct}% of its improvement (threshold {threshold_pct}%)",
    "climbing": "climbing at {share_pct}% of its later evaluations (fitted rise {fit_pct}%, "
                "threshold {threshold_pct}%)",
    "few": "higher at each of the {n} evaluations after it (only {total} evaluations were "
           "logged, so this is a first sign)",
    "metric": "{metric} peaked at {best} at step {onset}, then fell back to {end}, losing "
              "{lost_pct}% of what it had gained (threshold {threshold_pct}%), while {train}.{note}",
    "train_loss": "train/loss went from {at} to {end}",
    "train_acc": "train/acc went from {at} to {end}",
    "acc_note": " val/acc went from {acc_at} to {acc_end}.",
    "metric_disagrees": " But {metric} kept improving ({at} → {end}): the validation loss and metric "
                        "disagree, so this is a weaker sign (a loss can rise on confident mistakes "
                        "while the metric holds).",
    "loss_disagrees": " val/loss did not rise ({at} → {end}): the metric and the loss disagree.",
}


@dataclass(frozen=True)
class Thresholds:
    min_given_back: float = 0.025  # (final val - its minimum) / (start - minimum)
    full_at: float = 0.25  # given-back share at which confidence reaches 1
    min_rise: float = 0.05  # (final val - its minimum) / minimum: guards tiny improvements
    min_points_after: int = 3  # val points after the minimum (persistence)
    min_val_points: int = 5  # fewer evaluations: the few-evaluation test (loss), too few (metric)
    train_tolerance: float = 0.1  # train loss may end at most this fraction above its onset level
    train_acc_tolerance: float = 0.01  # ... train accuracy at most this fraction below it
    train_points_after: int = 2  # train points from the onset to a breakdown: fewer is instability
    train_smooth: float = 0.1  # the train curve's median window, as a share of its points
    min_rise_over_noise: float = 3.0  # (final val - minimum) / val jitter: a trend, not noise
    acc_ceiling: float = 0.999  # val/acc at or above this from the onset on: nothing to lose
    trend_rise: float = 0.12  # Theil-Sen fitted rise after the minimum / minimum
    trend_full_factor: float = 4.0  # a fitted rise this many times trend_rise: confidence 1
    trend_share: float = 0.75  # share of (earlier, later) pairs after the minimum that rise
    trend_points_after: int = 4  # evaluations after the minimum for a sustained climb
    few_val_points: int = 3  # fewest evaluations judged at all (3-epoch fine-tunes)
    few_points_after: int = 2  # ... and, with few, evaluations after the minimum
    few_rise: float = 0.08  # rise over the minimum when there are fewer than min_val_points
    few_confidence: float = 0.6  # the confidence of a few-evaluation finding
    acc_overrules: float = 0.75  # below this confidence, val/acc no worse than at the onset wins
    few_train_fall: float = 0.9  # with few evaluations, train ends at most this x its onset level
    smooth_window: int = 3  # median window over val curves (points; the train curve's least)
    end_points: int = 3  # a val curve's end level: the median of its last this many points
    start_points: int = 3  # the untrained net's loss: the median of the first train points
    still_over_noise: float = 1.0  # a metric still improving: it ended this x its jitter above
    # its level at the val-loss onset
    metric_drop_share: float = 0.15  # metric lost from its best / gained from start to best
    metric_full_at: float = 0.5  # that share at which confidence reaches 1
    metric_min_drop: float = 0.03  # ... and at least this share of the best value itself
    metric_min_gain: float = 0.3  # gained from start to best, as a share of the metric's size
    metric_train_learned: float = 0.9  # ...and the train loss ended below this x its start
    disagree_factor: float = 0.5  # confidence factor: val loss rose, the metric improved
    loss_disagrees_factor: float = 0.8  # the metric fell, the val loss did not rise: the
    # metric is what the run is judged by (a detector's summed loss is a proxy), so milder


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    val = sig.finite(run.scalar("val/loss")) if run.has("val/loss") else None
    metric = validation.main_metric(run)
    if val is not None and metric is None:
        if len(val) < th.few_val_points:
            return too_few(ID, "val/loss", len(val), th.few_val_points)
        # the start of training is the train curve's business: a first evaluation after
        # epoch 1 of 3 is no reason not to judge the rise after the minimum
        problem = unusable_loss(ID, "val/loss", val, need_start=False)
        if problem:
            return problem
    from_loss = _from_loss(run, val, metric, th) if val is not None and len(val) else None
    if from_loss is not None:
        return from_loss
    return _from_metric(run, metric, val, th) if metric is not None else None


# ---- evidence 1: the validation loss ---------------------------------------------------------
def _from_loss(run: RunData, val: pd.Series, metric: Curve | None, th: Thresholds) -> Finding | None:
    values = val.to_numpy(dtype=np.float64)  # finite: numpy up to the first exits
    if len(val) < th.few_val_points or float(values.min()) < 0:
        return None
    few = len(val) < th.min_val_points
    i_min, low = validation.best_point(values, None if few else th.smooth_window, lowest=True)
    onset = int(val.index[i_min])
    after = len(val) - 1 - i_min
    if after < 1 or (not few and after < th.min_points_after):
        return None
    end = float(val.iloc[-1]) if few else validation.end_median(val, th.end_points)
    if low <= 0:
        return None
    rise = (end - low) / low
    train = _improving_train(run, onset, th)
    if train is None:
        return None
    if validation.stopped_early(run, val) or end - low < th.min_rise_over_noise * sig.jitter(val):
        return None
    acc = validation.accuracy_from(run, onset, th.smooth_window, th.end_points)
    if acc is not None and acc[2] >= th.acc_ceiling:
        return None
    start = max(float(val.iloc[0]), train.start_loss)
    lost = (end - low) / (start - low) if start > low else 0.0
    climb = val.iloc[i_min:]
    share, fitted = sig.rising_share(climb), sig.fitted_rise(climb) / low
    if few:
        if (after < th.few_points_after or share < 1.0 or rise < th.few_rise
                or train.end > th.few_train_fall * train.at or train.broke_down):
            return None  # three points are little: training must clearly improve, never break
        how = msg(ID, "few", n=after, total=len(val))
        confidence = th.few_confidence
    elif lost >= th.min_given_back and rise >= th.min_rise:
        how = msg(ID, "given_back", lost_pct=100 * lost, threshold_pct=100 * th.min_given_back)
        confidence = sig.confidence(lost, th.min_given_back, th.full_at)
    elif (after >= th.trend_points_after and share >= th.trend_share and fitted >= th.trend_rise
          and rise > 0):
        how = msg(ID, "climbing", share_pct=100 * share, fit_pct=100 * fitted,
                  threshold_pct=100 * th.trend_rise)
        confidence = sig.confidence(fitted, th.trend_rise, th.trend_full_factor * th.trend_rise)
    else:
        return None
    if acc is not None and acc[1] >= acc[0] and confidence < th.acc_overrules:
        return None  # a weak rise while val accuracy held: confident mistakes on a few examples
    acc_note = msg(ID, "acc_note", acc_at=f"{acc[0]:.3g}", acc_end=f"{acc[1]:.3g}") \
        if acc is not None else ""
    disagrees = ""
    still = validation.improved_since(
        metric, onset, min_points=th.few_val_points, window=th.smooth_window,
        end_points=th.end_points, over_noise=th.still_over_noise,
    ) if metric is not None and metric.tag != "val/acc" else None
    if still is not None:
        disagrees = msg(ID, "metric_disagrees", metric=metric.tag, at=still[0], end=still[1])
        confidence *= th.disagree_factor
    last = int(val.index[-1])
    return finding(
        ID, message="found", severity=Severity.WARNING if still is None else Severity.INFO,
        confidence=confidence, onset_step=onset,
        evidence=[
            Evidence(tag="val/loss", steps=(onset, last),
                     statistic="share of improvement given back", value=lost,
                     threshold=th.min_given_back,
                     marks={"minimum": low, "start": start, "rise": rise, "rising_share": share,
                            "fitted_rise": fitted, "jitter": sig.jitter(val),
                            "level": low + th.min_given_back * (start - low)}),
            train.evidence(onset, last, th.train_tolerance),
        ],
        low=low, onset=onset, rise_pct=100 * rise, end=end, how=how,
        train=_train_words(train), note=(acc_note, disagrees),
    )


# ---- evidence 2: a validation metric ---------------------------------------------------------
def _from_metric(run: RunData, metric: Curve, val: pd.Series | None,
                 th: Thresholds) -> Finding | NotAssessed | None:
    values = metric.values
    if len(values) < th.min_val_points:
        return too_few(ID, metric.tag, len(values), th.min_val_points)
    # numpy up to the first exit: most runs stop there
    i_best, best = validation.best_point(values.to_numpy(dtype=np.float64) * metric.direction,
                                         th.smooth_window)
    onset = int(values.index[i_best])
    if len(values) - 1 - i_best < th.min_points_after:
        return None
    oriented = values * metric.direction
    first, end = float(oriented.iloc[0]), validation.end_median(oriented, th.end_points)
    drop, gain = best - end, best - first
    if gain <= 0 or drop < th.metric_drop_share * gain or drop < th.metric_min_drop * abs(best):
        return None
    if drop < th.min_rise_over_noise * sig.jitter(oriented):
        return None
    if gain < th.metric_min_gain * max(abs(best), abs(first)):
        return None  # it never really improved (a metric at chance level wobbling)
    train = _improving_train(run, onset, th)
    if train is None or validation.stopped_early(run, oriented, higher_better=True):
        return None
    if train.never_learned(th.metric_train_learned):
        return None  # training never learned: a val metric wobbling at chance is no overfitting
    confidence = sig.confidence(drop / gain, th.metric_drop_share, th.metric_full_at)
    note = ""
    if val is not None and len(val) >= th.min_val_points and val.index[-1] >= onset:
        at, val_end = validation.level_at_and_end(val, onset, th.smooth_window, th.end_points)
        if val_end <= at:
            if metric.tag == "val/acc":
                return None  # the val loss measures the same predictions, more finely: it held
            note = msg(ID, "loss_disagrees", at=at, end=val_end)
            confidence *= th.loss_disagrees_factor
    last = int(values.index[-1])
    sign = metric.direction
    return finding(
        ID, message="metric", severity=Severity.WARNING,
        confidence=confidence, onset_step=onset,
        evidence=[
            Evidence(tag=metric.tag, steps=(onset, last),
                     statistic="share of the metric's gain lost since its best",
                     value=drop / gain, threshold=th.metric_drop_share,
                     marks={"best": sign * best, "start": sign * first,
                            "level": sign * (best - th.metric_drop_share * gain)}),
            train.evidence(onset, last, th.train_tolerance),
        ],
        metric=validation.metric_name(run, metric.tag), best=sign * best, onset=onset, end=sign * end,
        lost_pct=100 * drop / gain, threshold_pct=100 * th.metric_drop_share,
        train=_train_words(train), note=note,
    )


# ---- the training side -----------------------------------------------------------------------
def _improving_train(run: RunData, onset: int, th: Thresholds) -> TrainSide | None:
    """Training from the onset to the end (`train_side`), when it kept improving; else None."""
    train = train_side(run, onset, points_after=th.train_points_after, smooth_share=th.train_smooth,
                       min_window=th.smooth_window, start_points=th.start_points)
    if train is None or not train.improved(th.train_tolerance, th.train_acc_tolerance):
        return None
    return train


def _train_words(train: TrainSide) -> Msg:
    return msg(ID, "train_acc" if train.higher_better else "train_loss", at=train.at, end=train.end)


EXAMPLES = Examples(fires=(ex.u_shaped_val, ex.late_rise, ex.u_shaped_with_acc,
                           ex.patience_but_trained_on, ex.steady_climb, ex.few_evaluations,
                           ex.metric_peaks),
                    quiet=(ex.healthy, ex.one_bad_epoch, ex.healthy_creep, ex.both_rise,
                           ex.early_stopped, ex.noise_at_floor, ex.perfect_val_acc,
                           ex.metric_saturated))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
