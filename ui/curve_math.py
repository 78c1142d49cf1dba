"""The numbers behind a drawn curve: smoothing, downsampling, a y range a few outliers cannot
flatten, and log ticks that stay readable. Plain numpy; no plotly, no Streamlit.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

# Beyond this a value is numerically broken (float32 overflows at 3.4e38), not a level to read:
# it is marked at the chart's edge like an inf instead of stretching the axis to it.
ASTRONOMICAL = 1e30
MAX_LOG_TICKS = 8
NICE_DECADE_STEPS = (1, 2, 3, 4, 5, 10, 20, 25, 50, 100)


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average debiased by 1 - weight**n (so the
    start is not dragged to 0), over finite points only; a non-finite point stays as it is and
    does not count. A constant series is returned as is (TensorBoard does the same)."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    finite = np.isfinite(values)
    x = values[finite]
    if weight <= 0 or x.size == 0 or np.all(x == x[0]):
        return out
    # pandas' adjusted EWM is sum(w**i * x[t-i]) / sum(w**i), which is TensorBoard's
    # (1 - w) * sum(w**i * x[t-i]) / (1 - w**(t+1)) exactly, in a C loop (1 M points: ms).
    alpha = 1.0 - min(weight, 0.999)  # the slider stops at 0.99; 1 would freeze the curve
    out[finite] = pd.Series(x).ewm(alpha=alpha, adjust=True).mean().to_numpy()
    return out


def thin_positions(values: np.ndarray, max_points: int, keep: Iterable[int] = ()) -> np.ndarray:
    """Positions of at most max_points points (plus `keep`): the ends, each bucket's min and
    max, so spikes stay visible, and the positions asked to be kept (evidence edges). Buckets
    are cut among the finite points: a run that logged 15,000 points of which the first 268
    were finite keeps those 268, not one in 19 of them; where each stretch of NaN begins is
    kept too, so the line breaks there instead of joining across it."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    keep = np.fromiter(keep, dtype=np.int64)
    finite = np.isfinite(values)
    gaps = np.flatnonzero(~finite & np.r_[True, finite[:-1]])
    where = np.flatnonzero(finite)
    if finite.all() or not where.size or gaps.size > max_points // 4:
        out = _min_max(values, max_points, keep)
    else:
        out = np.concatenate([where[_min_max(values[where], max_points - gaps.size, [])], gaps, keep])
    out = np.unique(out)
    return out[(out >= 0) & (out < n)]


def _min_max(values: np.ndarray, max_points: int, keep: Iterable[int]) -> np.ndarray:
    """The ends, each bucket's min and max (buckets of equal length, in one numpy pass: a
    1 M-point curve in milliseconds), and `keep`."""
    n = len(values)
    keep = np.asarray(keep, dtype=np.int64)
    if n <= max_points:
        return np.unique(np.concatenate([np.arange(n), keep]))
    size = -(-n // max(max_points // 2 - 1, 1))
    rows = np.full(-(-n // size) * size, np.nan)
    rows[:n] = np.where(np.isfinite(values), values, np.nan)
    rows = rows.reshape(-1, size)
    empty = np.isnan(rows)
    some = ~empty.all(axis=1)
    base = np.arange(rows.shape[0])[some] * size
    low = np.where(empty, np.inf, rows)[some].argmin(axis=1) + base
    high = np.where(empty, -np.inf, rows)[some].argmax(axis=1) + base
    return np.unique(np.concatenate([[0, n - 1], low, high, keep]))


def nearest_positions(index: np.ndarray, wanted: Iterable[float]) -> list[int]:
    """Positions in a sorted index closest to each wanted value (an evidence step)."""
    if not len(index):
        return []
    out = []
    for w in wanted:
        i = int(np.searchsorted(index, w))
        out += [p for p in (i - 1, i) if 0 <= p < len(index)]
    return out


def drawable(values: np.ndarray) -> np.ndarray:
    """What can be drawn: non-finite and astronomical values become gaps."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (np.abs(values) < ASTRONOMICAL), values, np.nan)


def first_broken(values: np.ndarray) -> int | None:
    """Position of the first NaN, inf or astronomical value, None when all are fine."""
    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) >= ASTRONOMICAL)
    return int(np.argmax(bad)) if bad.any() else None


def step_label(step: float) -> str:
    """A step as a user types it into a search: whole (1000000, not 1e+06)."""
    step = float(step)
    return str(int(step)) if step.is_integer() else f"{step:g}"


def robust_range(values: np.ndarray, log: bool, q: float = 0.01, margin: float = 0.08,
                 stretch: float = 1.5) -> tuple[float, float] | None:
    """A y range from the q and 1-q quantiles plus a margin, in axis units (log10 on a log
    axis), or None when every point fits without stretching the range `stretch`-fold: a few
    extreme points then no longer squeeze the rest into a line."""
    v = drawable(values)
    v = v[np.isfinite(v)]
    if log:
        v = np.log10(v[v > 0])
    if v.size < 20:  # too few points for quantiles to mean anything
        return None
    lo, hi = np.quantile(v, [q, 1 - q])
    span = hi - lo
    full = float(v.max() - v.min())
    if span <= 0 or full <= stretch * span * (1 + 2 * margin):
        return None
    return float(lo - margin * span), float(hi + margin * span)


def decade_label(exponent: int) -> str:
    """10**exponent as a short label: plain near 1, exponent-style beyond (1e-14, 1e100)."""
    return f"{10.0 ** exponent:g}" if -3 <= exponent <= 3 else f"1e{exponent}"


def log_ticks(lo: float, hi: float, max_ticks: int = MAX_LOG_TICKS) -> tuple[list[float], list[str]]:
    """Tick values and labels for a log axis over [lo, hi] (both > 0): decades only, every k-th
    so that at most `max_ticks` show; within one or two decades, 1-2-5 steps; within less than
    a decade holding no two powers of ten, round linear steps."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if b - a <= 2:
        vals = [m * 10.0 ** k for k in range(a, b + 1) for m in (1, 2, 5) if lo <= m * 10.0 ** k <= hi]
        if 2 <= len(vals) <= max_ticks:
            return vals, [f"{v:.0e}" if not 1e-3 <= v <= 1e3 else f"{v:g}" for v in vals]
    if hi / lo < 10 and sum(lo <= 10.0 ** e <= hi for e in range(a, b + 1)) < 2:
        return linear_ticks(lo, hi)
    exps = decades(a, b, max_ticks)
    return [10.0 ** e for e in exps], [decade_label(e) for e in exps]


def decades(a: int, b: int, max_ticks: int = MAX_LOG_TICKS) -> list[int]:
    """Exponents from a to b, every k-th on multiples of k (1, 1e20, 1e40...), at most max_ticks."""
    steps = (*NICE_DECADE_STEPS, math.ceil((b - a + 1) / max_ticks))
    for k in steps:
        exps = [e for e in range(a, b + 1) if e % k == 0]
        if len(exps) <= max_ticks:
            return exps
    return exps


def linear_ticks(lo: float, hi: float, target: int = 5) -> tuple[list[float], list[str]]:
    """About `target` round values (1, 2 or 5 times a power of ten apart) within [lo, hi]."""
    raw = (hi - lo) / max(target - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    vals = [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
    return vals, [f"{v:.4g}" for v in vals]


def compact(value: float) -> str:
    """A value for a label: 4 significant digits, exponent-style when large or tiny."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.4g}"
