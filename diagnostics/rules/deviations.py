"""How much a loss curve bounces: its deviations from its own centred rolling median (which
follows any trend, so only the swings around it count). Measures for `lr_oscillation`, on
numpy arrays: a curve of ~1,000 points is measured per run of a logdir of thousands, where
pandas' per-operation overhead cost more than the arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig


@dataclass(frozen=True)
class Deviations:
    """A curve's deviation at each of its steps (what a pd.Series would hold, without it)."""

    steps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def of(curve: pd.Series, window: int, *, log: bool = False) -> Deviations:
    """|curve - its rolling median| in units of its first value, or |log curve - log median|
    for `log`, with trend-lagged ends dropped (`trend_edges_dropped`)."""
    values = curve.to_numpy(dtype=np.float64)
    trend = sig.smooth_values(values, window)
    residual = np.log(values) - np.log(trend) if log else (values - trend) / values[0]
    return trend_edges_dropped(np.abs(residual), curve, window)


def zeros(curve: pd.Series) -> Deviations:
    """No deviation at any of the curve's steps."""
    return Deviations(curve.index.to_numpy(), np.zeros(len(curve)))


def trend_edges_dropped(deviation: np.ndarray, curve: pd.Series, window: int) -> Deviations:
    """The deviations without an end whose last `window` points run monotonically (likewise
    the start). There the centred window is cut short and lags the trend: a val loss still
    falling 3x per epoch (0.0027, 0.0007, 7.6e-5: a real Trax log) deviates ~2 in log units
    from such a median without bouncing at all. An end that goes up and down is kept."""
    half, values = window // 2, curve.to_numpy()

    def monotone(part: np.ndarray) -> bool:
        steps = np.diff(part)
        return len(part) == window and bool((steps < 0).all() or (steps > 0).all())

    start = half if monotone(values[:window]) else 0
    stop = len(values) - half if monotone(values[-window:]) else len(values)
    return Deviations(curve.index.to_numpy()[start:stop], deviation[start:stop])


def second_half_mean(deviation: Deviations) -> float:
    """The mean of the second half, as pandas' `mean` takes it (NaN skipped; without NaN,
    numpy's pairwise sum over the count, which is what pandas computes too)."""
    values = deviation.values[len(deviation) // 2:]
    return float(values.mean()) if len(values) and not np.isnan(values).any() \
        else float(pd.Series(values, dtype=np.float64).mean())


def onset(deviation: Deviations, threshold: float, skip: float) -> int:
    """First step from which the mean deviation to the end stays past the threshold.

    The first `skip` share of the run (at least its first point) is skipped: the initial drop
    is a trend the rolling median lags behind, not oscillation."""
    steps, values = deviation.steps, deviation.values
    tail_means = np.cumsum(values[::-1])[::-1] / np.arange(len(values), 0, -1)
    start = max(1, int(len(values) * skip))
    hits = np.flatnonzero(tail_means[start:] >= threshold)
    return int(steps[start + hits[0]] if len(hits) else steps[len(values) // 2])
