"""Where the rules get a run's validation curves from, and whether the run stopped itself.

The main validation metric (`val/metric`: mAP, AP, mIoU, F1, BLEU, PSNR... or an error,
perplexity, MAE, its direction from `tag_hints.metric_direction`; else `val/acc`), oriented so
that higher is better; the name the user logged it under; a curve's best point, its level at a
step and at its end, and whether it still improved after a step; `val/acc` as fractions; and the
run's own early stopping, read from its config. Measures only: the rules judge them, with their
own thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics import tag_hints
from diagnostics.rundata import RunData


@dataclass(frozen=True)
class Curve:
    """A validation curve oriented so that higher is better (a loss negated)."""

    tag: str
    values: pd.Series
    direction: int


def main_metric(run: RunData) -> Curve | None:
    """The run's main validation metric (val/metric, else val/acc), oriented; None if absent."""
    for tag in ("val/metric", "val/acc"):
        if not run.has(tag):
            continue
        series = sig.finite(run.scalar(tag))
        direction = tag_hints.metric_direction(run.originals_for(tag)[0]) if tag == "val/metric" else 1
        if len(series) and direction:
            return Curve(tag, series, direction)
    return None


def metric_name(run: RunData, tag: str) -> str:
    """How the user logged it: `metrics/mAP_0.5 (val/metric)`."""
    originals = run.originals_for(tag)
    return f"{originals[0]} ({tag})" if originals and originals[0] != tag else tag


def best_point(values: np.ndarray, window: int | None, *, lowest: bool = False) -> tuple[int, float]:
    """(position, level) of a curve's best point, median-smoothed over `window` points (None:
    the points as they are): its highest, or with `lowest` its lowest (the first, on a tie)."""
    smooth = values if window is None else sig.smooth_values(values, window)
    best = int(np.argmin(smooth) if lowest else np.argmax(smooth))
    return best, float(smooth[best])


def end_median(curve: pd.Series, end_points: int) -> float:
    """A curve's end level: the median of its last `end_points`."""
    return float(np.median(curve.iloc[-end_points:]))


def level_at_and_end(curve: pd.Series, step: int, window: int, end_points: int) -> tuple[float, float]:
    """A curve's level at `step` (median-smoothed over `window` points, interpolated) and at its
    end (`end_median`)."""
    at = float(np.interp(step, curve.index, sig.smooth(curve, window).to_numpy()))
    return at, end_median(curve, end_points)


def improved_since(metric: Curve, step: int, *, min_points: int, window: int, end_points: int,
                   over_noise: float) -> tuple[float, float] | None:
    """(the metric at `step`, at the end; `level_at_and_end`) when it ended better than it was
    there by `over_noise` times its jitter; None otherwise, or with fewer than `min_points`
    or none after `step`."""
    if len(metric.values) < min_points or metric.values.index[-1] <= step:
        return None
    oriented = metric.values * metric.direction
    at, end = level_at_and_end(oriented, step, window, end_points)
    if end > at + over_noise * sig.jitter(oriented):
        return metric.direction * at, metric.direction * end
    return None


def accuracy_from(run: RunData, step: int, window: int,
                  end_points: int) -> tuple[float, float, float] | None:
    """val/acc as fractions (a log in percent divided by 100): its level at `step` and at the
    end (`level_at_and_end`), and its lowest from `step` on; None when it is not logged after
    `step`."""
    acc = run.scalar("val/acc")
    acc = sig.finite(acc) if acc is not None else None
    if acc is None or not len(acc) or acc.index[-1] < step:
        return None
    if acc.max() > 1.0:  # logged in percent
        acc = acc / 100.0
    return (*level_at_and_end(acc, step, window, end_points), float(acc[acc.index >= step].min()))


def stopped_early(run: RunData, val: pd.Series, *, higher_better: bool = False) -> bool:
    """The run stopped on its own early-stopping rule at its best validation point: the config
    names `early_stopping_patience` > 0 and at most patience + 1 points follow the (raw) best,
    the epochs the stopper waited before ending it (it keeps the best checkpoint)."""
    try:
        patience = int((run.config or {}).get("early_stopping_patience") or 0)
    except (TypeError, ValueError):  # a foreign hparam under our name: not ours to trust
        return False
    values = val.to_numpy()
    after = len(val) - 1 - int(np.argmax(values) if higher_better else np.argmin(values))
    return patience > 0 and after <= patience + 1
