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
    max, so spikes stay visible, and the positions asked to be kept (evidence edges)."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max((max_points - 2) // 2, 1)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    filled = np.where(np.isfinite(values), values, np.nan)
    picks = [[0, n - 1], np.fromiter(keep, dtype=np.int64)]
    for start, stop in zip(edges[:-1], edges[1:]):
        chunk = filled[start:stop]
        if stop > start and not np.all(np.isnan(chunk)):
            picks.append([start + np.nanargmin(chunk), start + np.nanargmax(chunk)])
    out = np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in picks]))
    return out[(out >= 0) & (out < n)]


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


def first_broken(steps: np.ndarray, values: np.ndarray) -> tuple[float, float] | None:
    """(step, value) of the first NaN, inf or astronomical value, None when all are fine."""
    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) >= ASTRONOMICAL)
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    return float(steps[i]), float(values[i])


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
