"""lr_oscillation — the loss keeps jumping up and down instead of settling: the learning rate is
too high.

Why it matters: steps that overshoot the minimum make the loss bounce around it and never
converge ("if the learning rate is too large it keeps oscillating", document 001 §一.4);
documents' order: second stage, "cannot learn".

Evidence: the loss curves alone. The "bounce" of a curve is its mean absolute deviation from
its own rolling median (window 5, which follows any trend, falling or rising) over the second
half of the run, where a good learning rate has settled. An end of the curve that runs
monotonically over a whole window is left out: there the centred window is cut short and lags
the trend (a real Trax val loss still falling 3x per epoch, 0.0027 -> 7.6e-5, read as a 55 %
bounce):
- `train/loss` in units of its first logged value (so batch noise around a small, converged
  loss — large in relative terms — does not count). A dense curve is first averaged over
  blocks so that at most `max_train_points` remain: a per-step batch loss (a Hugging Face
  fine-tune logs every 10 steps) scatters with the batch, not with the learning rate, and the
  block mean keeps only swings slower than a block (a real run swinging 2 <-> 67 over 1M steps
  keeps them; the fine-tune's batch noise drops from 9 % to 4 % of its start). A train loss
  that ends below `settled` of its start (memorised: 0.69 -> 5e-11) has settled, whatever
  its spikes: oscillation keeps a loss from settling, so such a curve is left to val/loss;
- `val/loss` (one full evaluation per epoch, no mini-batch noise) as a log-scale deviation.
An oscillating learning rate keeps the model from settling: when the val loss is usable, its
second-half median must stay at least `unsettled` times its minimum (on our grid, runs at too
high a learning rate sit 1.6-5x above their best; healthy runs with batch-8/16 noise on noisy
labels, whose train and val curves bounce just as much, stay within 1.4x). Swings that persist
after the logged learning rate decayed below `lr_decayed` of its peak are the batches' noise,
not the learning rate's: the train curve is then left out (a fine-tune decaying its lr
linearly to 0). When both curves are logged they must agree (persistence across two independent
measurements), each against a lower threshold: a noisy dataset makes the train loss jumpy but
not the val loss (healthy two-moons runs: train 0.04-0.08, val <= 0.01), and a net that
memorises its training set makes the val loss jumpy but not the train loss. With one curve
only, its own, higher threshold applies. A val loss that swings wildly (`val_only`, 2.5x
the val-alone threshold; real runs with steady training stay <= 0.16) while the train loss
is steady is reported too, as information at low confidence: instability seen only in
validation. Train curves with fewer than `min_train_points`
points (sparse logging) are left to the val curve: ten samples of a swinging batch loss are
too few to tell on their own, but `min_train_points_with_val` of them may back a val curve
(both must pass their agreeing thresholds). A train loss logged as epoch means (Keras `epoch_loss`, Lightning
`train_loss_epoch`: `tag_hints.is_epoch_mean`) averages its batches already: beside a val curve,
`min_epoch_points` of each (a 6-epoch Keras run) are judged together. On our grid (dense logs) oscillating
runs reach train >= 0.11 and val
>= 0.060; healthy runs stay <= 0.082 (train, two moons) and <= 0.027 (val).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics import tag_hints
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves, deviations
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, fmt, msg, too_few, unusable_loss
from diagnostics.rundata import RunData

ID = "lr_oscillation"
TITLE = "The learning rate is too high: the loss oscillates"
SHORT_NAME = "Learning-rate oscillation"
STAGE = 2
NEEDS = (("val/loss",), ("train/loss",))
TEXT = {
    "to_log": "log the validation loss once per epoch (val/loss) or train/loss",
    "found": "{tag} keeps oscillating instead of settling: over the second half it deviates "
             "from its own trend by {value_pct}% on average (threshold {threshold_pct}%){agree}"
             "{lr}.",
    "agree": ", and val/loss bounces too ({val_pct}%)",
    "lr": "; the learning rate was {lr}",
    "val_only": "val/loss swings wildly while train/loss is steady: over the second half it "
                "deviates from its own trend by {value_pct}% on average (threshold "
                "{threshold_pct}%). The instability shows only in validation — a learning rate "
                "too high for the batch-norm statistics, or a validation set too small to measure "
                "reliably.",
}


@dataclass(frozen=True)
class Thresholds:
    train_with_val: float = 0.06  # train bounce (units of the first train loss), val agreeing
    val_with_train: float = 0.025  # val bounce (log scale), train agreeing
    train_alone: float = 0.1  # train bounce when there is no usable val curve
    val_alone: float = 0.08  # val bounce when there is no usable train curve
    full_factor: float = 4.0  # bounce at full_factor × threshold gives confidence 1
    window: int = 5  # rolling-median window (points)
    min_train_points: int = 20  # sparser train logs hide batch-to-batch swings: val decides
    min_train_points_with_val: int = 10  # ...alone; this many may back a val curve that agrees
    min_epoch_points: int = 6  # ...but epoch means (Keras) are no samples: both curves need this
    min_val_points: int = 8
    max_train_points: int = 100  # denser train curves are block-averaged down to this
    settled: float = 0.02  # train end level / start below this: converged, not oscillating
    val_only: float = 0.2  # val bounce reported (as INFO) even with a steady train curve
    unsettled: float = 1.5  # val loss: second-half median / its minimum, at least this
    unsettled_share: float = 0.25  # ... or that median this far back from the minimum to the start
    lr_decayed: float = 0.1  # lr at the end / its peak below this: late swings are batch noise
    val_only_confidence: float = 0.6  # the most a val-only reading gets (below the engine's SOLID)
    onset_skip: float = 0.1  # share of the run the onset is not sought in: the initial drop
    start_points: int = 3  # the val loss's start: the highest of its first this many evaluations
    start_share: float = 0.25  # ... at most this share of a short curve (its spikes, not its start)


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    per_epoch = _train_per_epoch(run)
    val = _val_bounce(run, th, per_epoch)
    train = _train_bounce(run, th, th.min_epoch_points if per_epoch else
                          th.min_train_points if val is None else th.min_train_points_with_val)
    if train is None and val is None:
        n = {t: len(sig.finite(s)) for t in ("train/loss", "val/loss")
             if (s := run.scalar(t)) is not None}
        tag = max(n, key=n.get)
        need = th.min_epoch_points if per_epoch else th.min_train_points if tag == "train/loss" \
            else th.min_val_points
        return too_few(ID, tag, n[tag], need)
    if isinstance(train, NotAssessed):
        if val is None:
            return train  # why the train curve could not serve, and there is no other
        train = None
    if train is not None and _lr_decayed(run, th):
        train = None  # swings that outlive the lr's decay are the batches', not the lr's
        if val is None:
            return None
    if val is not None and _val_settles(run, th):
        return None  # the model keeps coming back to its best: not a learning rate too high
    if train is not None and val is not None:
        judged = [("train/loss", train, th.train_with_val), ("val/loss", val, th.val_with_train)]
    elif train is not None:
        judged = [("train/loss", train, th.train_alone)]
    else:
        judged = [("val/loss", val, th.val_alone)]
    bounces = [deviations.second_half_mean(d) for _, d, _ in judged]
    if any(b < t for b, (_, _, t) in zip(bounces, judged)):
        if len(judged) == 2 and bounces[1] >= th.val_only:
            return _only_validation_swings(judged[1][1], bounces[1], th)
        return None
    tag, deviation, threshold = judged[0]
    onset = deviations.onset(deviation, threshold, th.onset_skip)
    lr = sig.finite(run.scalar("opt/lr")) if run.has("opt/lr") else pd.Series(dtype=float)
    lr_note = msg(ID, "lr", lr=fmt(float(lr.iloc[-1]))) if len(lr) else ""
    evidence = [Evidence(tag=t, steps=(int(d.steps[len(d) // 2]), int(d.steps[-1])),
                         statistic="mean deviation from rolling median", value=b, threshold=thr)
                for (t, d, thr), b in zip(judged, bounces)]
    agree = msg(ID, "agree", val_pct=100 * bounces[1]) if len(judged) == 2 else ""
    return finding(
        ID, message="found", severity=Severity.WARNING,
        confidence=min(sig.confidence(b, thr, th.full_factor * thr)
                       for b, (_, _, thr) in zip(bounces, judged)),
        onset_step=onset, evidence=evidence,
        tag=tag, value_pct=100 * bounces[0], threshold_pct=100 * threshold, lr=lr_note,
        agree=agree,
    )


def _only_validation_swings(deviation: deviations.Deviations, bounce: float, th: Thresholds) -> Finding:
    return finding(
        ID, message="val_only", severity=Severity.INFO,
        # capped below the engine's SOLID: a val-only reading must not hide other problems
        confidence=min(th.val_only_confidence, sig.confidence(bounce, th.val_only, th.full_factor * th.val_only)),
        onset_step=deviations.onset(deviation, th.val_only, th.onset_skip),
        evidence=[Evidence(tag="val/loss", steps=(int(deviation.steps[len(deviation) // 2]),
                                                  int(deviation.steps[-1])),
                           statistic="mean deviation from rolling median", value=bounce,
                           threshold=th.val_only)],
        value_pct=100 * bounce, threshold_pct=100 * th.val_only,
    )


def _val_settles(run: RunData, th: Thresholds) -> bool:
    """The val loss spends the second half near its best: its median under `unsettled` x the
    minimum, and within `unsettled_share` of the way back from the minimum to the start (a val
    loss that never improved, bouncing 25-38 around 30, has not settled anywhere)."""
    val = sig.finite(run.scalar("val/loss")).to_numpy()
    # the start: the first `start_points` evaluations (robust to one odd first eval), fewer on
    # a short curve, where three would already be half the run (6 epochs: its spikes, not its start)
    first = max(1, min(th.start_points, int(len(val) * th.start_share)))
    low, start = float(val.min()), float(val[:first].max())
    middle = float(np.median(val[len(val) // 2:]))
    near_best = middle < th.unsettled * low
    kept = start > low and (middle - low) / (start - low) < th.unsettled_share
    return low > 0 and near_best and kept


def _lr_decayed(run: RunData, th: Thresholds) -> bool:
    """The logged learning rate ended far below its peak (cosine, step or linear decay)."""
    lr = sig.finite(run.scalar("opt/lr")) if run.has("opt/lr") else None
    return lr is not None and len(lr) >= 2 and float(lr.max()) > 0 and \
        sig.end_level(lr) < th.lr_decayed * float(lr.max())


def _train_bounce(run: RunData, th: Thresholds, need: int) -> deviations.Deviations | NotAssessed | None:
    train = run.scalar("train/loss")
    train = sig.finite(train) if train is not None else ()
    if len(train) < need:
        return None
    unusable = unusable_loss(ID, "train/loss", train)  # the unit is the first value
    if unusable:
        return unusable
    train = sig.block_means(train, th.max_train_points)
    if sig.end_level(train) < th.settled * float(train.iloc[0]):
        return deviations.zeros(train)  # converged to ~0: its spikes are not the lr
    return deviations.of(train, th.window)


def _train_per_epoch(run: RunData) -> bool:
    """The train loss is logged as epoch means (every original of it says so)."""
    originals = run.originals_for("train/loss")
    return bool(originals) and all(tag_hints.is_epoch_mean(o) for o in originals)


def _val_bounce(run: RunData, th: Thresholds, per_epoch: bool) -> deviations.Deviations | None:
    """A short val curve serves only beside epoch-mean train losses: two curves of averages
    that agree; against a dense train curve it would veto on too few evaluations."""
    val = run.scalar("val/loss")
    val = sig.finite(val) if val is not None else ()
    if len(val) < (th.min_epoch_points if per_epoch else th.min_val_points) or \
            not np.all(val.to_numpy() > 0):
        return None
    return deviations.of(val, th.window, log=True)


# ---- examples ---------------------------------------------------------------------------
def _bouncing_val_only() -> RunData:
    # Per-epoch logs without a usable train curve: the val loss alone must serve.
    vs = curves.val_steps()
    val = 0.6 * np.exp(0.5 * np.random.default_rng(3).standard_normal(len(vs)))
    return (SyntheticRun("lr_high_val").scalar("val/loss", vs, val)
            .scalar("opt/lr", vs, np.full(len(vs), 0.05))).build()


def _bouncing_train_only() -> RunData:
    ts = curves.train_steps()
    rng = np.random.default_rng(4)
    loss = 1.6 + 0.8 * np.abs(rng.standard_normal(len(ts)))
    return SyntheticRun("sgd_lr_2").scalar("train/loss", ts, loss).build()


def _both_bounce() -> RunData:
    # SGD + momentum at a too-high lr: the batch loss swings 0.2-2, the epoch val loss drifts
    # and jumps (shaped like the lr_oscillation sample run).
    ts, vs = curves.train_steps(), curves.val_steps()
    rng = np.random.default_rng(6)
    train = np.r_[2.3, 0.2 + 1.2 * rng.random(len(ts) - 1)]
    val = np.linspace(0.8, 1.4, len(vs)) * np.exp(0.15 * rng.standard_normal(len(vs)))
    return (SyntheticRun("sgd_lr_1").scalar("train/loss", ts, train)
            .scalar("val/loss", vs, val)).build()


def _healthy() -> RunData:
    return curves.healthy().build()


def _noisy_dataset() -> RunData:
    # Overlapping classes (two moons): batch losses jump, the val loss is smooth.
    ts, vs = curves.train_steps(), curves.val_steps()
    rng = np.random.default_rng(7)
    train = np.r_[0.72, 0.2 + 0.15 * np.abs(rng.standard_normal(len(ts) - 1))]
    val = curves.decay(vs, 0.4, 0.15, 60, noise=0.005, seed=7)
    return (SyntheticRun("moons").scalar("train/loss", ts, train)
            .scalar("val/loss", vs, val)).build()


def _overfitting_trend() -> RunData:
    vs = curves.val_steps()
    val = curves.u_shaped(vs)
    return curves.healthy(SyntheticRun("overfit")).scalar("val/loss", vs, val).build()


def _converged_train_noise() -> RunData:
    # Relative batch noise is large around a tiny loss, absolute noise is not.
    ts = curves.train_steps()
    loss = curves.decay(ts, 2.3, 0.01, 40, noise=0.6, seed=5)
    return SyntheticRun("noisy_small").scalar("train/loss", ts, loss).build()


def _still_falling_steeply() -> RunData:
    # Per-epoch val loss (Trax-like, 11 evaluations) still dropping ~3x per epoch at the end:
    # a trend, not a bounce; the one bump at 50 is a single noisy evaluation.
    vs = np.arange(1, 111, 10)
    val = [0.69, 0.59, 0.28, 0.14, 0.10, 0.125, 0.028, 0.0075, 0.0027, 0.0007, 7.6e-5]
    return SyntheticRun("steep").scalar("val/loss", vs, val).build()


def _only_val_swings() -> RunData:
    # Train loss falls smoothly; the val loss jumps 0.3 <-> 3 between epochs.
    run = SyntheticRun("val_swings")
    ts, vs = curves.train_steps(), curves.val_steps()
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.1, 40, noise=0.05))
    val = 0.6 * np.exp(0.9 * np.random.default_rng(8).standard_normal(len(vs)))
    return run.scalar("val/loss", vs, val).build()


EXAMPLES = Examples(fires=(_both_bounce, _bouncing_val_only, _bouncing_train_only,
                           _only_val_swings),
                    quiet=(_healthy, _noisy_dataset, _overfitting_trend, _converged_train_noise,
                           _still_falling_steeply))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
