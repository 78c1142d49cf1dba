"""Small pure helpers the rules share on curves: smoothing, levels, progress, trends, persistence.

Every function takes plain step-indexed `pd.Series` (or arrays) and returns numbers or series;
none knows about rules, thresholds or languages (measure here, judge in the rule). Histogram
summaries are `histogram_stats`; the exact fast medians underneath are `medians`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from diagnostics.medians import median, rolling_median


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
    return pd.Series(smooth_values(series.to_numpy(dtype=np.float64), window),
                     index=series.index, name=series.name)


def smooth_values(values: np.ndarray, window: int) -> np.ndarray:
    """`smooth` on bare values: numpy for an odd window over finite values; pandas' skip list
    otherwise (a NaN leaves the windows that hold it, an even window is centred its own way)."""
    window = max(1, min(int(window), len(values)))
    if window % 2 and window > 1 and np.all(np.isfinite(values)):
        return rolling_median(values, window)
    return pd.Series(values).rolling(window, center=True, min_periods=1).median().to_numpy()


def smooth_end(series: pd.Series, window: int) -> float:
    """`smooth(series, window)`'s last value, from the last window's points only (the last
    centred window holds no earlier point): where a test of "until the end" can stop early."""
    window = max(1, min(int(window), len(series)))
    last = series.to_numpy(dtype=np.float64)[len(series) - window // 2 - 1:]  # what it holds
    if window % 2 and np.all(np.isfinite(last)):
        part, middle = np.sort(last), len(last) // 2
        with np.errstate(over="ignore"):
            return float(part[middle] if len(part) % 2 else (part[middle - 1] + part[middle]) / 2)
    return float(smooth(series.iloc[-window:], window).iloc[-1])


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
    first = len(series) - len(series) // size * size
    values = series.to_numpy(dtype=np.float64)[first:].reshape(-1, size).mean(axis=1)
    steps = series.index.to_numpy()[first:].reshape(-1, size)[:, -1]
    return pd.Series(values, index=pd.Index(steps, name=series.index.name), name=series.name)


def tail(series: pd.Series, fraction: float, min_points: int = 1) -> pd.Series:
    """The last `fraction` of the points (at least `min_points`)."""
    return series.iloc[-max(min_points, int(math.ceil(len(series) * fraction))):]


def relative_drop(start: float, end: float) -> float:
    """How much of the starting value was removed: 1 - end/start (0 = no progress)."""
    if not math.isfinite(start) or start <= 0:
        return 0.0
    return 1.0 - end / start


def rising_share(series: pd.Series) -> float:
    """Share of (earlier, later) pairs of points in which the later is higher (1 = monotone rise)."""
    v = series.to_numpy(dtype=np.float64)
    if len(v) < 2:
        return 0.0
    return float((v[None, :] > v[:, None])[np.triu_indices(len(v), 1)].mean())


def fitted_rise(series: pd.Series) -> float:
    """Theil-Sen: the median pairwise slope times the span (robust to one wild point)."""
    steps, v = series.index.to_numpy(dtype=np.float64), series.to_numpy(dtype=np.float64)
    i, j = np.triu_indices(len(v), 1)
    ok = steps[j] > steps[i]
    if not ok.any():
        return 0.0
    return float(np.median((v[j] - v[i])[ok] / (steps[j] - steps[i])[ok])) * float(steps[-1] - steps[0])


def first_persistent(mask: np.ndarray, length: int) -> int | None:
    """Index where `mask` first holds for `length` consecutive points, or None."""
    flags = np.asarray(mask, dtype=bool)
    if length <= 0:  # what the former point-by-point loop answered: at the first point
        return (0 if flags[0] else 1) if len(flags) else None
    edges = np.diff(np.concatenate(([False], flags, [False])).astype(np.int8))
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


def start_level(series: pd.Series) -> float:
    """Where a curve starts: its first finite point (for a loss, the untrained net's)."""
    values = finite(series).to_numpy()
    return float(values[0]) if len(values) else float("nan")


def end_level(series: pd.Series, fraction: float = 0.1, min_points: int = 3) -> float:
    """Where a curve ends: median of its last `fraction` of finite points."""
    values = series.to_numpy(dtype=np.float64)  # on arrays: rules call this on every run
    values = values[np.isfinite(values)]
    count = max(min_points, int(math.ceil(len(values) * fraction)))  # as `tail` takes it
    return median(values[-count:]) if len(values) else float("nan")


def progress(series: pd.Series) -> float:
    """Relative drop of a loss from its start to its end (1 = to zero, 0 = none, <0 = worse)."""
    return relative_drop(start_level(series), end_level(series))
