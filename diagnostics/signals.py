"""Small pure helpers the rules share: smoothing, progress, persistence, histogram summaries.

Every function takes plain step-indexed `pd.Series` (or histogram frames) and returns numbers
or series; none knows about rules, thresholds or languages (measure here, judge in the rule).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def finite(series: pd.Series) -> pd.Series:
    """The finite points only (NaN/inf dropped)."""
    values = series.to_numpy(dtype=np.float64)
    return series[np.isfinite(values)]


def first_nonfinite_step(series: pd.Series) -> int | None:
    """Step of the first NaN/inf value, or None when all values are finite."""
    bad = ~np.isfinite(series.to_numpy(dtype=np.float64))
    return int(series.index[bad.argmax()]) if bad.any() else None


def smooth(series: pd.Series, window: int) -> pd.Series:
    """Centred rolling median: removes mini-batch noise and isolated spikes, keeps trends."""
    window = max(1, min(int(window), len(series)))
    return series.rolling(window, center=True, min_periods=1).median()


def jitter(series: pd.Series, window: int = 5) -> float:
    """A curve's typical point-to-point noise: the median absolute deviation of its points
    from their centred rolling median (which follows any trend, so a clean rise or fall has
    jitter ~0 and only the scatter around it counts)."""
    if len(series) < 3:
        return 0.0
    return float(np.median(np.abs((series - smooth(series, window)).to_numpy())))


def auto_window(n: int, fraction: float = 0.05, lo: int = 1, hi: int = 101) -> int:
    """An odd smoothing window that is `fraction` of the series length, clamped to [lo, hi]."""
    w = int(round(n * fraction))
    w = max(lo, min(hi, w))
    return w if w % 2 else w + 1


def block_means(series: pd.Series, max_points: int) -> pd.Series:
    """The series averaged over consecutive blocks so that at most `max_points` remain (each
    block indexed by its last step; a remainder at the start is dropped). Averaging a dense
    mini-batch loss over blocks shrinks its batch-to-batch noise by sqrt(block size) while
    swings slower than a block survive. A series of at most `max_points` is returned as is."""
    size = int(math.ceil(len(series) / max_points)) if max_points > 0 else 1
    if size <= 1:
        return series
    kept = len(series) // size * size
    part = series.iloc[len(series) - kept:]
    values = part.to_numpy(dtype=np.float64).reshape(-1, size).mean(axis=1)
    steps = part.index.to_numpy().reshape(-1, size)[:, -1]
    return pd.Series(values, index=pd.Index(steps, name=series.index.name), name=series.name)


def tail(series: pd.Series, fraction: float, min_points: int = 1) -> pd.Series:
    """The last `fraction` of the points (at least `min_points`)."""
    return series.iloc[-max(min_points, int(math.ceil(len(series) * fraction))):]


def relative_drop(start: float, end: float) -> float:
    """How much of the starting value was removed: 1 - end/start (0 = no progress)."""
    if not math.isfinite(start) or start <= 0:
        return 0.0
    return 1.0 - end / start


def first_persistent(mask: np.ndarray, length: int) -> int | None:
    """Index where `mask` first holds for `length` consecutive points, or None."""
    run = 0
    for i, flag in enumerate(mask):
        run = run + 1 if flag else 0
        if run >= length:
            return i + 1 - run
    return None


def persistent_from_to_end(mask: np.ndarray) -> int | None:
    """First index from which `mask` stays True until the end, or None."""
    if not len(mask) or not mask[-1]:
        return None
    falses = np.flatnonzero(~mask)
    return int(falses[-1] + 1) if len(falses) else 0


def confidence(value: float, threshold: float, full_at: float) -> float:
    """0.5 at the threshold rising to 1.0 at `full_at`, log-scaled for ratios.

    Works both ways: for a "below" statistic pass full_at < threshold. A value on the quiet
    side of the threshold gets below 0.5 (the rule would not have fired).
    """
    if not math.isfinite(value):
        return 1.0
    if value <= 0 or threshold <= 0 or full_at <= 0:
        frac = (value - threshold) / (full_at - threshold)
    else:
        frac = math.log(value / threshold) / math.log(full_at / threshold)
    return float(min(1.0, max(0.0, 0.5 + 0.5 * frac)))


# ---- histograms ------------------------------------------------------------------------
def _per_step(frame: pd.DataFrame):
    # One histogram per (step, wall_time); a rewritten step keeps its last write.
    last = frame.groupby("step")["wall_time"].transform("max")
    return frame[frame["wall_time"] == last].groupby("step", sort=True)


def hist_l2(frame: pd.DataFrame) -> pd.Series:
    """Per step, the L2 norm of the values a histogram summarises (bucket centres × counts).

    For a gradient histogram this approximates that layer's gradient norm.
    """
    def norm(g: pd.DataFrame) -> float:
        centre = (g["left"].to_numpy() + g["right"].to_numpy()) / 2
        return float(np.sqrt(np.sum(g["count"].to_numpy() * centre**2)))

    return _per_step(frame).apply(norm).astype(np.float64).rename("l2")


def hist_mass_at_or_below_zero(frame: pd.DataFrame) -> pd.Series:
    """Per step, the fraction of values ≤ 0 (plus the bucket that starts at exactly 0).

    After a ReLU every value is ≥ 0, so the lowest bucket [0, w) holds the zeros (with a few
    small positives); before it, values < 0 are the units the ReLU will zero. Buckets that
    straddle 0 count in proportion to their width below 0.
    """
    def frac(g: pd.DataFrame) -> float:
        left, right = g["left"].to_numpy(), g["right"].to_numpy()
        count = g["count"].to_numpy()
        total = count.sum()
        if total <= 0:
            return float("nan")
        width = np.where(right > left, right - left, 1.0)
        below = np.clip((0.0 - left) / width, 0.0, 1.0)
        below = np.where(right <= 0, 1.0, below)
        below = np.where(left == 0.0, 1.0, below)  # post-ReLU zero bucket
        return float(np.sum(count * below) / total)

    return _per_step(frame).apply(frac).astype(np.float64).rename("mass_le_0")


def start_level(series: pd.Series) -> float:
    """Where a curve starts: its first finite point (for a loss, the untrained net's)."""
    values = finite(series).to_numpy()
    return float(values[0]) if len(values) else float("nan")


def end_level(series: pd.Series, fraction: float = 0.1, min_points: int = 3) -> float:
    """Where a curve ends: median of its last `fraction` of finite points."""
    values = finite(series)
    return float(np.median(tail(values, fraction, min_points).to_numpy())) if len(values) \
        else float("nan")


def progress(series: pd.Series) -> float:
    """Relative drop of a loss from its start to its end (1 = to zero, 0 = none, <0 = worse)."""
    return relative_drop(start_level(series), end_level(series))
