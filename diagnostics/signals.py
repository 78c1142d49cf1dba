"""Small pure helpers the rules share: smoothing, progress, persistence, histogram summaries.

Every function takes plain step-indexed `pd.Series` (or histogram frames) and returns numbers
or series; none knows about rules, thresholds or languages (measure here, judge in the rule).
"""
from __future__ import annotations

import functools
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
    values = series.to_numpy(dtype=np.float64)  # on arrays: rules call this on every run
    values = values[np.isfinite(values)]
    count = max(min_points, int(math.ceil(len(values) * fraction)))  # as `tail` takes it
    return _median(values[-count:]) if len(values) else float("nan")


def _median(values: np.ndarray) -> float:
    """`np.median` of finite values, bit for bit (the middle value, or the mean of the middle
    two), without its generic set-up (~30 us a call, and rules ask a few times a run)."""
    half = len(values) // 2  # partitioned and summed (from 0.0) as np.median does: -0.0 too comes out the same
    if len(values) % 2:
        return float(0.0 + np.partition(values, [half, -1])[half])
    part = np.partition(values, [half - 1, half, -1])
    return float((0.0 + part[half - 1] + part[half]) / 2)


def progress(series: pd.Series) -> float:
    """Relative drop of a loss from its start to its end (1 = to zero, 0 = none, <0 = worse)."""
    return relative_drop(start_level(series), end_level(series))
