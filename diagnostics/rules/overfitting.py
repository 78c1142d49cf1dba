"""overfitting — validation got worse while training kept improving.

Why it matters: the model memorises the training set instead of learning what generalises;
more training makes it worse (documents' order: the run learns but does not generalise).

Two kinds of evidence, each judged against the training curve over the same steps (train
loss no higher at the end than at the onset, or train accuracy no lower; if training gets
worse too, or breaks down (NaN/inf) right after the onset, the run is unstable, not
overfitting; training is judged up to its breakdown):

1. The validation LOSS (`val/loss`) turned upwards. Median-smoothed (window 3) to ignore
   one-epoch blips; the onset is the step of its minimum. It fires on either of:
   - the share of its improvement the val loss gave back: (end - minimum) / (start - minimum)
     of at least `min_given_back`, with a rise of at least `min_rise` over the minimum. The
     start is the higher of the first val point and the median of the first three train
     points: the untrained net, robust to a first Keras epoch that averaged a wild start
     (15.3 when the next epochs read 0.67). This separates a healthy big net's val loss
     creeping up 10-14 % from a tiny minimum (giving back < 1 %) from real overfitting;
   - a sustained climb: after its minimum the val loss rises at (nearly) every evaluation —
     at least `trend_share` of the later-vs-earlier pairs rise — by a Theil-Sen fitted
     `trend_rise` or more over the minimum. A run that started far above its minimum (a
     forecaster at 61 falling to 0.86) gives back a tiny share yet overfits plainly when it
     then climbs 0.864, 0.879, 0.918, 0.927, 1.014 while train keeps falling;
   - with only 3-4 evaluations (a 3-epoch fine-tune), every evaluation after the minimum
     higher than the one before and `few_rise` above the minimum, while training clearly
     improves (to `few_train_fall` of its onset level) and never breaks down, at lower
     confidence.
   The rise must exceed `min_rise_over_noise` times the val curve's own jitter (a log at a
   noisy floor: val ~1e-4 jumping +-30 % is ~1x its jitter), at least `min_points_after`
   points must follow the minimum (2 with few evaluations), and when val/acc is logged and
   stays at its ceiling (>= `acc_ceiling` from the onset on) there is no generalisation error
   left to grow; when it ends no lower than at the onset, a weak loss reading (confidence below
   `acc_overrules`) gives way: the loss rose on confident mistakes about a few examples.
2. A validation METRIC peaked and then worsened: `val/acc` or the run's main validation
   metric `val/metric` (mAP, AP, mIoU, F1, BLEU, PSNR... or error, perplexity, MAE; its
   direction from `tags.metric_direction`). Smoothed the same way, the onset is its best
   point; it fires when the end (median of the last 3 points) has lost at least
   `metric_drop_share` of the gain from the first point to the best, and at least
   `metric_min_drop` of the best value itself, with `min_points_after` points after the
   best and a loss above `min_rise_over_noise` times the metric's jitter, after a real gain
   (`metric_min_gain` of the metric's size: a chance-level accuracy wobbling 0.089 -> 0.111 ->
   0.089 gained nothing to lose), in a run whose train loss learned (ended below
   `metric_train_learned` of its start: one stuck at 2.30 from the first step has no fit to
   lose). Validation accuracy that fell while the val loss held is no
   evidence: the loss measures the same predictions more finely. Early stopping contains it
   as it does the loss (below). Detectors and
   classifiers often log validation only as a metric (YOLO mAP 0.79 -> 0.63; val accuracy
   0.35 -> 0.17 while train accuracy reaches 1.0).
The loss evidence is reported first when both fire. Where one fires and the other was logged
but says otherwise (the val loss rose while mAP still improved), the finding says so, and its
confidence is lowered: halved when the metric still improved (the metric is what the run is
judged by), by a fifth when the metric fell and the val loss did not rise.

Early stopping contains overfitting: when the run's config has `early_stopping_patience`
> 0 and at most patience + 1 val points follow the val minimum (the run ended there), the
rise after the minimum is the patience window the stopper needs to see, and the delivered
model is the best checkpoint, saved at the minimum. The rule then stays quiet, so the
early-stopping remedy can resolve this finding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics import tags
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, fmt, text, too_few, unusable_loss
from diagnostics.rundata import RunData

ID = "overfitting"
NEEDS = (("train/loss", "val/loss"), ("train/loss", "val/acc"), ("train/acc", "val/acc"),
         ("train/loss", "val/metric"), ("train/acc", "val/metric"))
TO_LOG = {"en": "log the validation loss (val/loss) or a validation metric (accuracy, mAP...) "
                "once per epoch next to train/loss",
          "zh": "每个 epoch 记录一次验证损失（val/loss）或验证指标（准确率、mAP 等），并记录 train/loss"}
MESSAGE = {
    "en": "val/loss reached its minimum {low} at step {onset}, then rose {rise_pct}% to {end}, "
          "{how}, while {train}.{note}",
    "zh": "val/loss 在第 {onset} 步达到最低值 {low}，之后上升了 {rise_pct}% 到 {end}，"
          "{how}，而{train}。{note}",
}
GIVEN_BACK = {"en": "giving back {lost_pct}% of its improvement (threshold {threshold_pct}%)",
              "zh": "回吐了 {lost_pct}% 的改进（阈值 {threshold_pct}%）"}
CLIMBING = {"en": "climbing at {share_pct}% of its later evaluations (fitted rise {fit_pct}%, "
                  "threshold {threshold_pct}%)",
            "zh": "之后的评估中 {share_pct}% 都在上升（拟合上升 {fit_pct}%，阈值 {threshold_pct}%）"}
FEW = {"en": "higher at each of the {n} evaluations after it (only {total} evaluations were "
             "logged, so this is a first sign)",
       "zh": "其后的 {n} 次评估一次比一次高（只记录了 {total} 次评估，这只是初步迹象）"}
MESSAGE_METRIC = {
    "en": "{metric} peaked at {best} at step {onset}, then fell back to {end}, losing "
          "{lost_pct}% of what it had gained (threshold {threshold_pct}%), while {train}.{note}",
    "zh": "{metric} 在第 {onset} 步达到最好值 {best}，之后退回到 {end}，失去了此前提升的 "
          "{lost_pct}%（阈值 {threshold_pct}%），而{train}。{note}",
}
TRAIN_LOSS = {"en": "train/loss went from {at} to {end}", "zh": "train/loss 从 {at} 变为 {end}"}
TRAIN_ACC = {"en": "train/acc went from {at} to {end}", "zh": "train/acc 从 {at} 变为 {end}"}
ACC_NOTE = {"en": " val/acc went from {acc_at} to {acc_end}.",
            "zh": "val/acc 从 {acc_at} 变为 {acc_end}。"}
METRIC_DISAGREES = {
    "en": " But {metric} kept improving ({at} → {end}): the validation loss and metric disagree, "
          "so this is a weaker sign (a loss can rise on confident mistakes while the metric holds).",
    "zh": "但 {metric} 仍在提升（{at} → {end}）：验证损失与验证指标不一致，因此这是较弱的迹象"
          "（模型在少数样本上过于自信时损失会上升，而指标保持不变）。",
}
LOSS_DISAGREES = {
    "en": " val/loss did not rise ({at} → {end}): the metric and the loss disagree.",
    "zh": "val/loss 并未上升（{at} → {end}）：指标与损失不一致。",
}


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
    trend_rise: float = 0.12  # Theil-Sen fitted rise after the minimum / minimum
    trend_share: float = 0.75  # share of (earlier, later) pairs after the minimum that rise
    trend_points_after: int = 4  # evaluations after the minimum for a sustained climb
    few_val_points: int = 3  # fewest evaluations judged at all (3-epoch fine-tunes)
    few_rise: float = 0.08  # rise over the minimum when there are fewer than min_val_points
    few_confidence: float = 0.6
    acc_overrules: float = 0.75  # below this confidence, val/acc no worse than at the onset wins
    few_train_fall: float = 0.9  # with few evaluations, train ends at most this x its onset level
    metric_drop_share: float = 0.15  # metric lost from its best / gained from start to best
    metric_min_drop: float = 0.03  # ... and at least this share of the best value itself
    metric_min_gain: float = 0.3  # gained from start to best, as a share of the metric's size
    metric_train_learned: float = 0.9  # ...and the train loss ended below this x its start
    disagree_factor: float = 0.5  # confidence factor: val loss rose, the metric improved
    loss_disagrees_factor: float = 0.8  # the metric fell, the val loss did not rise: the
    # metric is what the run is judged by (a detector's summed loss is a proxy), so milder


@dataclass(frozen=True)
class _Curve:
    """A validation curve oriented so that higher is better (a loss negated)."""

    tag: str
    values: pd.Series
    direction: int


def check(run: RunData, th: Thresholds, lang: str) -> Finding | NotAssessed | None:
    val = sig.finite(run.scalar("val/loss")) if run.has("val/loss") else None
    metric = _val_metric(run)
    if val is not None and metric is None:
        if len(val) < th.few_val_points:
            return too_few(ID, "val/loss", len(val), th.few_val_points, TO_LOG, lang)
        # the start of training is the train curve's business: a first evaluation after
        # epoch 1 of 3 is no reason not to judge the rise after the minimum
        problem = unusable_loss(ID, "val/loss", val, lang, need_start=False)
        if problem:
            return problem
    from_loss = _from_loss(run, val, metric, th, lang) if val is not None and len(val) else None
    if from_loss is not None:
        return from_loss
    return _from_metric(run, metric, val, th, lang) if metric is not None else None


# ---- evidence 1: the validation loss ---------------------------------------------------------
def _from_loss(run: RunData, val: pd.Series, metric: _Curve | None, th: Thresholds,
               lang: str) -> Finding | None:
    values = val.to_numpy(dtype=np.float64)  # finite: numpy up to the first exits
    if len(val) < th.few_val_points or float(values.min()) < 0:
        return None
    few = len(val) < th.min_val_points
    smooth_val = values if few else sig.smooth_values(values, 3)
    i_min = int(np.argmin(smooth_val))
    onset = int(val.index[i_min])
    after = len(val) - 1 - i_min
    if after < 1 or (not few and after < th.min_points_after):
        return None
    low = float(smooth_val[i_min])
    end = float(val.iloc[-1]) if few else float(np.median(val.iloc[-3:]))
    if low <= 0:
        return None
    rise = (end - low) / low
    train = _train_side(run, onset)
    if train is None or not train.improved:
        return None
    if _stopped_early(run, val) or end - low < th.min_rise_over_noise * sig.jitter(val):
        return None
    acc = _val_acc(run, onset)
    if acc is not None and acc[2] >= th.acc_ceiling:
        return None
    start = max(float(val.iloc[0]), train.start_loss)
    lost = (end - low) / (start - low) if start > low else 0.0
    climb = val.iloc[i_min:]
    share, fitted = _rising_share(climb), _fitted_rise(climb) / low
    if few:
        if (after < 2 or share < 1.0 or rise < th.few_rise or train.end > th.few_train_fall * train.at
                or sig.first_nonfinite_step(run.scalar(train.tag)) is not None):
            return None  # three points are little: training must clearly improve, never break
        how = text(FEW, lang).format(n=after, total=len(val))
        confidence = th.few_confidence
    elif lost >= th.min_given_back and rise >= th.min_rise:
        how = text(GIVEN_BACK, lang).format(lost_pct=fmt(100 * lost),
                                            threshold_pct=fmt(100 * th.min_given_back))
        confidence = sig.confidence(lost, th.min_given_back, th.full_at)
    elif (after >= th.trend_points_after and share >= th.trend_share and fitted >= th.trend_rise
          and rise > 0):
        how = text(CLIMBING, lang).format(share_pct=fmt(100 * share), fit_pct=fmt(100 * fitted),
                                          threshold_pct=fmt(100 * th.trend_rise))
        confidence = sig.confidence(fitted, th.trend_rise, 4 * th.trend_rise)
    else:
        return None
    if acc is not None and acc[1] >= acc[0] and confidence < th.acc_overrules:
        return None  # a weak rise while val accuracy held: confident mistakes on a few examples
    note = text(ACC_NOTE, lang).format(acc_at=f"{acc[0]:.3g}", acc_end=f"{acc[1]:.3g}") \
        if acc is not None else ""
    still = _still_improving(metric, onset) if metric is not None and metric.tag != "val/acc" else None
    if still is not None:
        note += text(METRIC_DISAGREES, lang).format(metric=metric.tag, at=fmt(still[0]),
                                                    end=fmt(still[1]))
        confidence *= th.disagree_factor
    last = int(val.index[-1])
    return finding(
        ID, message=MESSAGE, lang=lang, severity=Severity.WARNING if still is None else Severity.INFO,
        confidence=confidence, onset_step=onset,
        evidence=[
            Evidence(tag="val/loss", steps=(onset, last),
                     statistic="share of improvement given back", value=lost,
                     threshold=th.min_given_back,
                     marks={"minimum": low, "start": start, "rise": rise, "rising_share": share,
                            "fitted_rise": fitted, "jitter": sig.jitter(val),
                            "level": low + th.min_given_back * (start - low)}),
            train.evidence(onset, last, th),
        ],
        low=low, onset=onset, rise_pct=100 * rise, end=end, how=how,
        train=train.describe(lang), note=note,
    )


# ---- evidence 2: a validation metric ---------------------------------------------------------
def _from_metric(run: RunData, metric: _Curve, val: pd.Series | None, th: Thresholds,
                 lang: str) -> Finding | NotAssessed | None:
    values = metric.values
    if len(values) < th.min_val_points:
        return too_few(ID, metric.tag, len(values), th.min_val_points, TO_LOG, lang)
    smooth = sig.smooth_values(values.to_numpy(dtype=np.float64) * metric.direction, 3)
    i_best = int(np.argmax(smooth))  # numpy up to the first exit: most runs stop there
    onset = int(values.index[i_best])
    if len(values) - 1 - i_best < th.min_points_after:
        return None
    oriented = values * metric.direction
    best, first = float(smooth[i_best]), float(oriented.iloc[0])
    end = float(np.median(oriented.iloc[-3:]))
    drop, gain = best - end, best - first
    if gain <= 0 or drop < th.metric_drop_share * gain or drop < th.metric_min_drop * abs(best):
        return None
    if drop < th.min_rise_over_noise * sig.jitter(oriented):
        return None
    if gain < th.metric_min_gain * max(abs(best), abs(first)):
        return None  # it never really improved (a metric at chance level wobbling)
    train = _train_side(run, onset)
    if train is None or not train.improved or _stopped_early(run, oriented, higher_better=True):
        return None
    if not train.higher_better and train.end > th.metric_train_learned * train.start_loss:
        return None  # training never learned: a val metric wobbling at chance is no overfitting
    confidence = sig.confidence(drop / gain, th.metric_drop_share, 0.5)
    note = ""
    if val is not None and len(val) >= th.min_val_points and val.index[-1] >= onset:
        at = float(np.interp(onset, val.index, sig.smooth(val, 3).to_numpy()))
        val_end = float(np.median(val.iloc[-3:]))
        if val_end <= at:
            if metric.tag == "val/acc":
                return None  # the val loss measures the same predictions, more finely: it held
            note = text(LOSS_DISAGREES, lang).format(at=fmt(at), end=fmt(val_end))
            confidence *= th.loss_disagrees_factor
    last = int(values.index[-1])
    sign = metric.direction
    return finding(
        ID, message=MESSAGE_METRIC, lang=lang, severity=Severity.WARNING,
        confidence=confidence, onset_step=onset,
        evidence=[
            Evidence(tag=metric.tag, steps=(onset, last),
                     statistic="share of the metric's gain lost since its best",
                     value=drop / gain, threshold=th.metric_drop_share,
                     marks={"best": sign * best, "start": sign * first,
                            "level": sign * (best - th.metric_drop_share * gain)}),
            train.evidence(onset, last, th),
        ],
        metric=_metric_name(run, metric.tag), best=sign * best, onset=onset, end=sign * end,
        lost_pct=100 * drop / gain, threshold_pct=100 * th.metric_drop_share,
        train=train.describe(lang), note=note,
    )


def _val_metric(run: RunData) -> _Curve | None:
    """The run's main validation metric (val/metric, else val/acc), oriented; None if absent."""
    for tag in ("val/metric", "val/acc"):
        if not run.has(tag):
            continue
        series = sig.finite(run.scalar(tag))
        direction = tags.metric_direction(run.originals_for(tag)[0]) if tag == "val/metric" else 1
        if len(series) and direction:
            return _Curve(tag, series, direction)
    return None


def _metric_name(run: RunData, tag: str) -> str:
    """How the user logged it: `metrics/mAP_0.5 (val/metric)`."""
    originals = run.originals_for(tag)
    return f"{originals[0]} ({tag})" if originals and originals[0] != tag else tag


def _still_improving(metric: _Curve, onset: int) -> tuple[float, float] | None:
    """(metric at the val-loss onset, at the end) when it ended better than it was there."""
    values = metric.values
    if len(values) < 3 or values.index[-1] <= onset:
        return None
    smooth = sig.smooth(values * metric.direction, 3)
    at = float(np.interp(onset, smooth.index, smooth.to_numpy()))
    end = float(np.median((values * metric.direction).iloc[-3:]))
    jitter = sig.jitter(values * metric.direction)
    if end > at + jitter:
        return metric.direction * at, metric.direction * end
    return None


# ---- the training side -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Train:
    tag: str
    at: float  # level at the onset (smoothed)
    end: float  # level at the end
    start_loss: float  # the untrained net's loss, robustly (-inf without a train loss)
    higher_better: bool

    @property
    def improved(self) -> bool:
        return self.end >= self.at * 0.99 if self.higher_better else self.end <= self.at * 1.1

    def describe(self, lang: str) -> str:
        table = TRAIN_ACC if self.higher_better else TRAIN_LOSS
        return text(table, lang).format(at=fmt(self.at), end=fmt(self.end))

    def evidence(self, onset: int, last: int, th: Thresholds) -> Evidence:
        return Evidence(tag=self.tag, steps=(onset, last), statistic="end / onset level",
                        value=self.end / self.at if self.at else 0.0,
                        threshold=1.0 if self.higher_better else 1 + th.train_tolerance)


def _train_side(run: RunData, onset: int) -> _Train | None:
    """How training went from the onset to the end: train/loss, else train/acc."""
    for tag, higher in (("train/loss", False), ("train/acc", True)):
        series = sig.finite(run.scalar(tag)) if run.has(tag) else None
        if series is None or len(series) < 2 or series.index[-1] < onset:
            continue
        broke = sig.first_nonfinite_step(run.scalar(tag))
        if broke is not None:  # judge training up to its breakdown (NaN/inf), not after it
            series = series[series.index < broke]
            if (series.index >= onset).sum() < 2:
                return None  # it broke down right after the onset: unstable, not overfitting
        smooth = sig.smooth(series, sig.auto_window(len(series), 0.1, lo=3))
        at = float(np.interp(onset, smooth.index, smooth.to_numpy()))
        start = float(np.median(series.iloc[:3])) if not higher else -np.inf
        return _Train(tag, at, sig.end_level(series), start, higher)
    return None


def _rising_share(part: pd.Series) -> float:
    """Share of (earlier, later) pairs in which the later point is higher (1 = monotone rise)."""
    v = part.to_numpy(dtype=np.float64)
    if len(v) < 2:
        return 0.0
    later_higher = (v[None, :] > v[:, None])[np.triu_indices(len(v), 1)]
    return float(later_higher.mean())


def _fitted_rise(part: pd.Series) -> float:
    """Theil-Sen: the median pairwise slope times the span (robust to one wild evaluation)."""
    steps, v = part.index.to_numpy(dtype=np.float64), part.to_numpy(dtype=np.float64)
    i, j = np.triu_indices(len(v), 1)
    ok = steps[j] > steps[i]
    if not ok.any():
        return 0.0
    slope = float(np.median((v[j] - v[i])[ok] / (steps[j] - steps[i])[ok]))
    return slope * float(steps[-1] - steps[0])


def _stopped_early(run: RunData, val, *, higher_better: bool = False) -> bool:
    """The run stopped on its own early-stopping rule at its best validation point: at most
    patience + 1 points follow the (raw) best, the epochs the stopper waited before ending it."""
    try:
        patience = int((run.config or {}).get("early_stopping_patience") or 0)
    except (TypeError, ValueError):  # a foreign hparam under our name: not ours to trust
        return False
    values = val.to_numpy()
    after = len(val) - 1 - int(np.argmax(values) if higher_better else np.argmin(values))
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
    # A big healthy net: val loss creeps from 0.134 to 0.142 (+6 %), giving back < 1 % of the
    # 2.3 -> 0.13 improvement and climbing too little to be a trend. Not worth a finding.
    run = curves.healthy(SyntheticRun("creep"))
    vs = curves.val_steps()
    val = np.r_[curves.decay(vs[:9], 1.6, 0.13, 30), np.linspace(0.134, 0.142, len(vs) - 9)]
    return run.scalar("val/loss", vs, val).build()


def _steady_climb() -> RunData:
    # The same net trained on: val loss climbs at every evaluation from 0.134 to 0.161 (+20 %)
    # while train loss keeps falling. It gives back < 2 % of the 2.3 -> 0.13 improvement, but
    # a climb that steady is overfitting to an engineer (real forecasters: +17 %, +20 %).
    run = curves.healthy(SyntheticRun("climb"))
    vs = curves.val_steps()
    val = np.r_[curves.decay(vs[:9], 1.6, 0.13, 30), np.linspace(0.134, 0.161, len(vs) - 9)]
    return run.scalar("val/loss", vs, val).build()


def _few_evaluations() -> RunData:
    # A 3-epoch fine-tune evaluated once per epoch: 0.263, 0.268, 0.299 while train falls.
    run = SyntheticRun("three_evals")
    ts = np.arange(10, 9380, 10)
    run.scalar("train/loss", ts, curves.decay(ts, 0.69, 0.17, 1200, noise=0.3))
    return run.scalar("val/loss", [3125, 6250, 9375], [0.2626, 0.268, 0.2986]).build()


def _metric_peaks() -> RunData:
    # A detector validated only by mAP: 0.05 -> 0.79 at epoch 60, then back to 0.63 while the
    # training loss keeps falling.
    run = SyntheticRun("map_drop")
    epochs = np.arange(150)
    run.scalar("train/loss", epochs, curves.decay(epochs, 0.2, 0.02, 30, noise=0.02))
    m = 0.05 + 0.74 * (1 - np.exp(-epochs / 15)) - 0.0018 * np.maximum(epochs - 60, 0)
    run.scalar("metrics/mAP_0.5", epochs, m)
    built = run.build()
    return built.with_mapping({"metrics/mAP_0.5": "val/metric"})


def _metric_saturated() -> RunData:
    # mAP climbs to 0.99 and stays: nothing to lose.
    run = SyntheticRun("map_fine")
    epochs = np.arange(150)
    run.scalar("train/loss", epochs, curves.decay(epochs, 0.2, 0.02, 30, noise=0.02))
    rng = np.random.default_rng(1)
    m = np.minimum(0.99, 0.05 + 0.94 * (1 - np.exp(-epochs / 20))) - 0.004 * rng.random(150)
    run.scalar("metrics/mAP_0.5", epochs, m)
    return run.build().with_mapping({"metrics/mAP_0.5": "val/metric"})


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
                           _patience_but_trained_on, _steady_climb, _few_evaluations,
                           _metric_peaks),
                    quiet=(_healthy, _one_bad_epoch, _healthy_creep, _both_rise, _early_stopped,
                           _noise_at_floor, _perfect_val_acc, _metric_saturated))
RULE = Rule(ID, check, Thresholds(), NEEDS, TO_LOG, EXAMPLES, __doc__ or "")
