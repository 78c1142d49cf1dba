"""Small pure helpers the rules share: smoothing, progress, persistence, histogram summaries.

Every function takes plain step-indexed `pd.Series` (or histogram frames) and returns numbers
or series; none knows about rules, thresholds or languages (measure here, judge in the rule).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def finite(series: pd.Series) -> pd.Series:
    """The finite points only (NaN/inf dropped); the series itself when all are."""
    keep = np.isfinite(series.to_numpy(dtype=np.float64))
    return series if keep.all() else series[keep]


def first_nonfinite_step(series: pd.Series) -> int | None:
    """Step of the first NaN/inf value, or None when all values are finite."""
    bad = ~np.isfinite(series.to_numpy(dtype=np.float64))
    return int(series.index[bad.argmax()]) if bad.any() else None


def smooth(series: pd.Series, window: int) -> pd.Series:
    """Centred rolling median: removes mini-batch noise and isolated spikes, keeps trends."""
    window = max(1, min(int(window), len(series)))
    values = series.to_numpy(dtype=np.float64)
    if window in _MEDIAN_NETWORKS and np.all(np.isfinite(values)):
        return pd.Series(_small_rolling_median(values, window), index=series.index, name=series.name)
    return series.rolling(window, center=True, min_periods=1).median()


# Compare-exchange networks that sort 3 and 5 values: on whole columns of windows at once
# they give pandas' rolling median ~10-40x faster for the small windows rules use most.
_MEDIAN_NETWORKS = {3: ((0, 1), (1, 2), (0, 1)),
                    5: ((0, 1), (3, 4), (2, 4), (2, 3), (0, 3), (0, 2), (1, 4), (1, 3), (1, 2))}


def _small_rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """What `rolling(window, center=True, min_periods=1).median()` gives on finite values:
    the middle of each full window; the shorter windows at both ends (median of what they
    hold, mean of the middle two for an even count) one by one."""
    half, n = window // 2, len(values)
    lanes = [values[k:n - window + 1 + k] for k in range(window)]
    for a, b in _MEDIAN_NETWORKS[window]:
        lanes[a], lanes[b] = np.minimum(lanes[a], lanes[b]), np.maximum(lanes[a], lanes[b])
    out = np.empty(n)
    out[half:n - half] = lanes[half]
    for i in (*range(half), *range(n - half, n)):
        part = np.sort(values[max(0, i - half):i + half + 1])
        middle = len(part) // 2
        out[i] = part[middle] if len(part) % 2 else (part[middle - 1] + part[middle]) / 2
    return out


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
    flags = np.asarray(mask, dtype=bool)
    if length <= 0:  # what the former point-by-point loop answered: at the first point
        return (0 if flags[0] else 1) if len(flags) else None
    edges = np.diff(np.r_[False, flags, False].astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_enough = np.flatnonzero(ends - starts >= length)
    return int(starts[long_enough[0]]) if len(long_enough) else None


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
# One pass of numpy over a tag's bucket rows (a Python call per step cost 49 s on 200 tags x
# 2,000 steps). Columns are read as float64 whatever their stored dtype.
def _per_step(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(steps, start of each step's rows, columns) for the buckets of each step's histogram,
    rows grouped by step (sorted). A step written more than once keeps its last write: the
    rows with the step's latest wall time (rows whose wall time is NaN never count)."""
    step = frame["step"].to_numpy(np.int64)
    wall = frame["wall_time"].to_numpy(np.float64)
    order = None if np.all(step[1:] >= step[:-1]) else np.argsort(step, kind="stable")
    cols = {c: frame[c].to_numpy(np.float64) for c in ("left", "right", "count")}
    if order is not None:
        step, wall, cols = step[order], wall[order], {c: v[order] for c, v in cols.items()}
    starts = _starts(step)
    if len(step):
        with np.errstate(invalid="ignore"):  # an all-NaN step: its latest time is NaN
            latest = np.fmax.reduceat(wall, starts)
        keep = wall == np.repeat(latest, np.diff(np.r_[starts, len(step)]))
        step, cols = step[keep], {c: v[keep] for c, v in cols.items()}
        starts = _starts(step)
    return step[starts], starts, cols


def _starts(sorted_steps: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, sorted_steps[1:] != sorted_steps[:-1]]) if len(sorted_steps) \
        else np.zeros(0, np.int64)


def _per_step_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each step's sum, bit for bit what np.sum of its rows gives (pairwise summation; the
    sequential np.add.reduceat differs in the last bits): the steps with k buckets are
    summed as the rows of one (steps, k) array; usually every step has the same k."""
    lengths = np.diff(np.r_[starts, len(values)])
    if len(starts) and np.all(lengths == lengths[0]):
        return values.reshape(len(starts), lengths[0]).sum(axis=1)
    sums = np.zeros(len(starts))
    for k in np.unique(lengths):
        which = np.flatnonzero(lengths == k)
        sums[which] = values[starts[which, None] + np.arange(k)].sum(axis=1)
    return sums


def _step_series(steps: np.ndarray, values: np.ndarray, name: str) -> pd.Series:
    return pd.Series(values, index=pd.Index(steps, name="step"), name=name, dtype=np.float64)


def hist_l2(frame: pd.DataFrame) -> pd.Series:
    """Per step, the L2 norm of the values a histogram summarises (bucket centres × counts).

    For a gradient histogram this approximates that layer's gradient norm.
    """
    steps, starts, cols = _per_step(frame)
    centre = (cols["left"] + cols["right"]) / 2
    return _step_series(steps, np.sqrt(_per_step_sums(cols["count"] * centre**2, starts)), "l2")


def hist_mass_at_or_below_zero(frame: pd.DataFrame) -> pd.Series:
    """Per step, the fraction of values ≤ 0 (plus the bucket that starts at exactly 0).

    After a ReLU every value is ≥ 0, so the lowest bucket [0, w) holds the zeros (with a few
    small positives); before it, values < 0 are the units the ReLU will zero. Buckets that
    straddle 0 count in proportion to their width below 0. NaN where a step counts nothing.
    """
    steps, starts, cols = _per_step(frame)
    left, right, count = cols["left"], cols["right"], cols["count"]
    width = np.where(right > left, right - left, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.clip((0.0 - left) / width, 0.0, 1.0)
    below = np.where(right <= 0, 1.0, below)
    below = np.where(left == 0.0, 1.0, below)  # post-ReLU zero bucket
    total = _per_step_sums(count, starts)
    at_or_below = _per_step_sums(count * below, starts)
    share = np.full(len(total), np.nan)
    np.divide(at_or_below, total, out=share, where=total > 0)
    return _step_series(steps, share, "mass_le_0")


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
