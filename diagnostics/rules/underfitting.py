"""underfitting — the training loss stays high: the model does not even fit its training data.

Why it matters: if training accuracy is low, test accuracy cannot be good; the documents say
to fix the optimisation first ("train accuracy 不高", document 001 §一, 004 §3), before
looking at generalisation (documents' order: second stage, "cannot learn").

Evidence: `train/loss` only. The end level (median of the last `end_fraction` of points, at
least `end_points`; the evidence's window) over the start level (the first logged point: the
untrained net's loss) — the share of the initial loss the run is still left with. For a
classifier starting at chance level, keeping half of it means it barely beat guessing. When
`train/acc` is logged its end level is reported alongside. When the loss is still clearly
falling over the last quarter of the run (`falling_share`; a straight-line fit drops it by
`still_falling` of its end level or more), the finding says so: a run stopped while still
learning (often a fine-tuned detector, whose loss starts low) may only need more epochs, the
last of the documents' remedies, rather than a different model. Without a logged train
accuracy the finding says it was judged from the loss alone, at lower confidence: a
fine-tuned model (a pretrained detector or text model) starts far below chance level.

Accuracy, where logged, decides whether the model fits: a run whose accuracy ends at
`acc_fits` or more fits its data, however much of its starting loss it kept (healthy runs on
noisy labels end at 88 % accuracy with 55 % of their loss left: the loss sits at the labels'
noise floor, not above it). Training accuracy is used, else validation accuracy (a model that
scores well on held-out data fits its training data too). Likewise a training loss that ends
well below the validation loss (under `gap_fits` of it) shows a model fitting its training
data better than held-out data: that gap is overfitting's business, not underfitting's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, judgeable_loss, msg
from diagnostics.rundata import RunData

ID = "underfitting"
TITLE = "Underfitting: the model does not fit its training data"
SHORT_NAME = "Underfitting"
STAGE = 2
NEEDS = (("train/loss",),)
TEXT = {
    "to_log": "log the training loss (train/loss) every few steps",
    "found": "train/loss is still at {value_pct}% of where it started ({start} → {end}; "
             "threshold {threshold_pct}%){acc}: the model does not fit its training data.{falling}",
    "acc": ", train accuracy {acc_pct}%",
    "loss_only": " Judged from the loss alone (no train accuracy logged): a fine-tuned model starts "
                 "far below chance level and need not halve its loss, so check its accuracy.",
    "falling": " It is still falling ({drop_pct}% over the last quarter of the run): it may only "
               "need more epochs.",
}


@dataclass(frozen=True)
class Thresholds:
    min_remaining: float = 0.5  # end / start level of train/loss
    full_at: float = 1.0  # no progress at all gives confidence 1
    min_points: int = 4  # a 5-epoch Keras run logs 5 points: start and end are what it needs
    still_falling: float = 0.05  # fitted drop over the last quarter / end level: "still learning"
    loss_only: float = 0.6  # confidence factor without train/acc: the start may not be chance level
    acc_fits: float = 0.8  # accuracy (train, else val) at or above this at the end: it fits
    gap_fits: float = 0.7  # train end level below this share of the val end level: it fits
    end_fraction: float = 0.1  # a curve's end level: the median of this share of its last points
    end_points: int = 3  # ... at least this many (also the evidence's window on train/loss)
    falling_share: float = 0.25  # "still falling" is fitted over this last share of the points
    falling_points: int = 4  # ... at least this many
    side_min_points: int = 3  # fewest points of an accuracy or val/loss curve consulted


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    loss = sig.finite(run.scalar("train/loss"))
    problem = judgeable_loss(ID, "train/loss", loss, th.min_points)
    if problem:
        return problem
    start, end = sig.start_level(loss), sig.end_level(loss, th.end_fraction, th.end_points)
    remaining = end / start
    if remaining < th.min_remaining:
        return None
    if _accuracy_fits(run, th) or _fits_better_than_validation(run, end, th):
        return None
    acc = sig.finite(run.scalar("train/acc")) if run.has("train/acc") else None
    acc_note = (msg(ID, "acc", acc_pct=f"{100 * sig.end_level(acc, th.end_fraction, th.end_points):.3g}")
                if acc is not None and len(acc) else "")
    window_start = int(sig.tail(loss, th.end_fraction, th.end_points).index[0])
    evidence = [Evidence(tag="train/loss", steps=(window_start, int(loss.index[-1])),
                         statistic="end / start level", value=remaining,
                         threshold=th.min_remaining,
                         marks={"start": start, "level": th.min_remaining * start})]
    quarter = sig.tail(loss, th.falling_share, th.falling_points)
    drop = _fitted_drop(quarter) / end if end > 0 else 0.0
    falling = ""
    if drop >= th.still_falling:
        falling = msg(ID, "falling", drop_pct=f"{100 * drop:.2g}")
        evidence.append(Evidence(tag="train/loss", steps=(int(quarter.index[0]), int(quarter.index[-1])),
                                 statistic="fitted drop over the last quarter / end level",
                                 value=drop, threshold=th.still_falling))
    return finding(
        ID, message="found", severity=Severity.WARNING,
        confidence=sig.confidence(remaining, th.min_remaining, th.full_at) * (1.0 if acc_note else th.loss_only),
        onset_step=int(loss.index[0]), evidence=evidence,
        value_pct=100 * remaining, start=start, end=end, threshold_pct=100 * th.min_remaining,
        acc=acc_note, falling=(falling, "" if acc_note else msg(ID, "loss_only")),
    )


def _accuracy_fits(run: RunData, th: Thresholds) -> bool:
    """The run's accuracy (train, else val) ends high enough to say the model fits."""
    for tag in ("train/acc", "val/acc"):
        acc = sig.finite(run.scalar(tag)) if run.has(tag) else None
        if acc is None or len(acc) < th.side_min_points:
            continue
        end = sig.end_level(acc, th.end_fraction, th.end_points)
        return (end / 100.0 if acc.max() > 1.0 else end) >= th.acc_fits
    return False


def _fits_better_than_validation(run: RunData, train_end: float, th: Thresholds) -> bool:
    """The training loss ended well below the validation loss: a generalisation gap."""
    val = sig.finite(run.scalar("val/loss")) if run.has("val/loss") else None
    if val is None or len(val) < th.side_min_points:
        return False
    return train_end < th.gap_fits * sig.end_level(val, th.end_fraction, th.end_points)


def _fitted_drop(part) -> float:
    """How much a least-squares line through `part` falls from its first step to its last."""
    steps = part.index.to_numpy(dtype=np.float64)
    if len(part) < 2 or steps[-1] == steps[0]:
        return 0.0
    slope = np.polyfit(steps - steps[0], part.to_numpy(dtype=np.float64), 1)[0]
    return float(-slope * (steps[-1] - steps[0]))


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


def _noisy_labels_fit() -> RunData:
    # 15 % label noise: the loss only falls 2.3 -> 1.27 (55 % left, its noise floor) while the
    # training accuracy reaches 88 %.
    ts = curves.train_steps()
    run = SyntheticRun("noisy_labels").scalar("train/loss", ts,
                                              curves.decay(ts, 2.3, 1.25, 60, noise=0.05))
    return run.scalar("train/acc", ts, 0.88 - 0.78 * np.exp(-ts / 60)).build()


def _overfits_instead() -> RunData:
    # The train loss keeps 55 % of its start but ends far below the val loss, which climbs:
    # the model fits its training data better than held-out data (overfitting, not this).
    ts, vs = curves.train_steps(), curves.val_steps()
    run = SyntheticRun("gap").scalar("train/loss", ts, curves.decay(ts, 2.3, 1.2, 60))
    return run.scalar("val/loss", vs, np.linspace(1.9, 2.6, len(vs))).build()


EXAMPLES = Examples(fires=(_stalled, _tiny_model),
                    quiet=(_healthy, _two_class_healthy, _noisy_labels_fit, _overfits_instead))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
