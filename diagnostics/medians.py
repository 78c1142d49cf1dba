"""Exact medians, fast: pandas' centred rolling median and `np.median`, bit for bit.

The rules smooth every curve with a centred rolling median (`signals.smooth`) and take the
median of a curve's end many times a run; pandas' and numpy's generic set-up dominated those
calls. What these give is the same values, only sooner.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

# Compare-exchange networks that sort 3 and 5 values: on whole columns of windows at once
# they give pandas' rolling median ~10-40x faster for the small windows rules use most.
_MEDIAN_NETWORKS = {3: ((0, 1), (1, 2), (0, 1)),
                    5: ((0, 1), (3, 4), (2, 4), (2, 3), (0, 3), (0, 2), (1, 4), (1, 3), (1, 2))}


def _median_steps(network: tuple[tuple[int, int], ...], middle: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """The network's compare-exchanges as (a, b, min wanted, max wanted): only the middle lane
    is read at the end, so a min or max that nothing reads later is not computed (the values
    that are computed are the same ones)."""
    live, steps = {middle}, []
    for a, b in reversed(network):
        want_min, want_max = a in live, b in live
        live -= {a, b}
        if want_min or want_max:
            live |= {a, b}
        steps.append((a, b, want_min, want_max))
    return tuple(reversed(steps))


_MEDIAN_STEPS = {w: _median_steps(net, w // 2) for w, net in _MEDIAN_NETWORKS.items()}
_PARTITION_MAX = 41  # wider full windows: pandas' skip list (O(log w) a point) is faster
_CHUNK = 1 << 21  # values partitioned at once: bounds the copy of a dense curve's windows


def rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """What `rolling(window, center=True, min_periods=1).median()` gives on finite values, for
    an odd window no longer than the values: the middle of each full window (a sorting network
    or np.partition, both exact), and the medians of the windows cut short at both ends."""
    half, n = window // 2, len(values)
    out = np.empty(n)
    if window in _MEDIAN_STEPS:
        lanes = [values[k:n - window + 1 + k] for k in range(window)]
        for a, b, want_min, want_max in _MEDIAN_STEPS[window]:
            low = np.minimum(lanes[a], lanes[b]) if want_min else None
            if want_max:
                lanes[b] = np.maximum(lanes[a], lanes[b])
            if want_min:
                lanes[a] = low
        out[half:n - half] = lanes[half]
    elif window <= _PARTITION_MAX or n < 2 * window:
        windows = np.lib.stride_tricks.sliding_window_view(values, window)
        step = max(1, _CHUNK // window)
        for lo in range(0, len(windows), step):
            part = np.partition(windows[lo:lo + step], half, axis=1)
            out[half + lo:half + lo + len(part)] = part[:, half]
    else:
        out[:] = pd.Series(values).rolling(window, center=True, min_periods=1).median().to_numpy()
        return out
    edges = _edge_medians(values, window)
    out[:half], out[n - half:] = edges[:half], edges[half:]
    return out


@functools.lru_cache(maxsize=32)
def _edge_plan(window: int) -> tuple[np.ndarray, ...]:
    """For the `window // 2` windows cut short at each end: each one's points as a row of
    positions in `ends` (the first and the last `window - 1` values, then +inf and -inf: a
    row's padding, which sorting leaves past its own points), and after sorting, the flat
    positions of each row's middle two (the same one for an odd count)."""
    half, width = window // 2, window - 1
    column = np.arange(width)
    counts = np.r_[np.arange(half + 1, window), np.arange(width, half, -1)]
    left = np.where(column < counts[:half, None], column, 2 * width)  # +inf after its points
    right = np.where(column >= np.arange(half)[:, None], width + column, 2 * width + 1)  # -inf
    first = np.r_[np.zeros(half, np.int64), np.arange(half)] + np.arange(2 * half) * width
    plan = (np.vstack([left, right]), first + (counts - 1) // 2, first + counts // 2,
            counts % 2 == 1)
    for array in plan:
        array.flags.writeable = False  # cached: shared by every call
    return plan


def _edge_medians(values: np.ndarray, window: int) -> np.ndarray:
    """The medians of the windows cut short at the start, then at the end, all at once (one
    row each, sorted together); an even count takes the mean of its middle two, as pandas.
    The small windows rules use most (3, 5, 7) are sorted as Python floats: a tenth of the cost,
    the same values (only +0 and -0 are equal with other bits: there numpy's order is kept)."""
    if window <= 7:
        head, tail = values[:window - 1].tolist(), values[len(values) - window + 1:].tolist()
        if 0.0 not in head and 0.0 not in tail:
            rows = [head[:m] for m in range(window // 2 + 1, window)] + [tail[k:] for k in range(window // 2)]
            return np.array([_middle(sorted(row)) for row in rows], np.float64)
    source, low_at, high_at, odd = _edge_plan(window)
    ends = np.concatenate((values[:window - 1], values[len(values) - window + 1:], (np.inf, -np.inf)))
    rows = np.sort(ends[source], axis=1).ravel()
    low, high = rows[low_at], rows[high_at]
    with np.errstate(over="ignore"):
        return np.where(odd, low, (low + high) / 2)


def _middle(ordered: list[float]) -> float:
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def median(values: np.ndarray) -> float:
    """`np.median` of finite values, bit for bit (the middle value, or the mean of the middle
    two), without its generic set-up (~30 us a call, and rules ask a few times a run)."""
    half = len(values) // 2  # partitioned and summed (from 0.0) as np.median does: -0.0 too comes out the same
    if len(values) % 2:
        return float(0.0 + np.partition(values, [half, -1])[half])
    part = np.partition(values, [half - 1, half, -1])
    return float((0.0 + part[half - 1] + part[half]) / 2)
