"""How training went over the steps a validation curve is judged on: train/loss, else train/acc,
from an onset step to the end, judged up to any breakdown (NaN/inf).

A validation curve that got worse means overfitting only while training kept improving over the
same steps; training that worsened too, or broke down, is another problem. Measures only: the
rule passes its own thresholds in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence
from diagnostics.rundata import RunData


@dataclass(frozen=True)
class TrainSide:
    tag: str
    at: float  # level at the onset (smoothed)
    end: float  # level at the end
    start_loss: float  # the untrained net's loss, robustly (-inf without a train loss)
    higher_better: bool  # train/acc rather than train/loss
    broke_down: bool  # the curve holds a NaN/inf (it was judged up to there)

    def improved(self, loss_tolerance: float, acc_tolerance: float) -> bool:
        """It ended no worse than at the onset: a loss at most `loss_tolerance` (a fraction)
        above its onset level, an accuracy at most `acc_tolerance` below it."""
        return self.end >= self.at * (1 - acc_tolerance) if self.higher_better \
            else self.end <= self.at * (1 + loss_tolerance)

    def never_learned(self, share: float) -> bool:
        """A train loss that ended above `share` x the untrained net's loss (an accuracy: never)."""
        return not self.higher_better and self.end > share * self.start_loss

    def evidence(self, onset: int, last: int, loss_tolerance: float) -> Evidence:
        return Evidence(tag=self.tag, steps=(onset, last), statistic="end / onset level",
                        value=self.end / self.at if self.at else 0.0,
                        threshold=1.0 if self.higher_better else 1 + loss_tolerance)


def train_side(run: RunData, onset: int, *, points_after: int, smooth_share: float,
               min_window: int, start_points: int) -> TrainSide | None:
    """How training went from `onset` to the end: its level there (median-smoothed over
    `smooth_share` of its points, at least `min_window`) and at its end, and the untrained net's
    loss (the median of the first `start_points`). None without a train curve past the onset,
    or when it broke down with fewer than `points_after` points from the onset: unstable."""
    for tag, higher in (("train/loss", False), ("train/acc", True)):
        series = sig.finite(run.scalar(tag)) if run.has(tag) else None
        if series is None or len(series) < 2 or series.index[-1] < onset:
            continue
        broke = sig.first_nonfinite_step(run.scalar(tag))
        if broke is not None:  # judge training up to its breakdown, not after it
            series = series[series.index < broke]
            if (series.index >= onset).sum() < points_after:
                return None
        smooth = sig.smooth(series, sig.auto_window(len(series), smooth_share, lo=min_window))
        at = float(np.interp(onset, smooth.index, smooth.to_numpy()))
        start = float(np.median(series.iloc[:start_points])) if not higher else -np.inf
        return TrainSide(tag, at, sig.end_level(series), start, higher, broke is not None)
    return None
