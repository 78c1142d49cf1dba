"""The shared signal helpers: smoothing, persistence, confidence, histogram summaries, fast medians."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from diagnostics import histogram_stats as hs
from diagnostics import signals as sig
from diagnostics.medians import rolling_median


def series(values, steps=None) -> pd.Series:
    steps = range(0, 10 * len(values), 10) if steps is None else steps
    return pd.Series(np.asarray(values, dtype=float), index=list(steps))


def test_first_nonfinite_step_and_finite():
    s = series([1.0, 2.0, np.nan, np.inf])
    assert sig.first_nonfinite_step(s) == 20
    assert sig.first_nonfinite_step(series([1.0, 2.0])) is None
    assert list(sig.finite(s)) == [1.0, 2.0]




def test_rolling_median_removes_a_single_spike():
    s = series([1.0] * 10 + [100.0] + [1.0] * 10)
    assert sig.smooth(s, 5).max() == 1.0


def test_auto_window_is_odd_and_clamped():
    assert sig.auto_window(1000, 0.05) == 51
    assert sig.auto_window(10, 0.05, lo=3) == 3
    assert sig.auto_window(10_000, 0.05) == 101


def test_persistence_helpers():
    mask = np.array([0, 1, 0, 1, 1, 1, 0, 1, 1], dtype=bool)
    assert sig.first_persistent(mask, 3) == 3
    assert sig.first_persistent(mask, 4) is None
    assert sig.persistent_from_to_end(mask) == 7
    assert sig.persistent_from_to_end(np.r_[mask, False]) is None


def test_progress_from_start_to_end_level():
    falling = series(np.linspace(2.0, 0.2, 50))
    assert sig.progress(falling) == pytest.approx(1 - np.median(falling.iloc[-5:]) / 2.0)
    assert sig.progress(series([2.0] * 20)) == pytest.approx(0.0)
    assert sig.relative_drop(-1.0, 0.5) == 0.0  # undefined for non-positive starts




def test_confidence_is_half_at_threshold_and_saturates_both_ways():
    assert sig.confidence(3.0, 3.0, 30.0) == pytest.approx(0.5)
    assert sig.confidence(30.0, 3.0, 30.0) == pytest.approx(1.0)
    assert sig.confidence(300.0, 3.0, 30.0) == 1.0
    assert 0.5 < sig.confidence(10.0, 3.0, 30.0) < 1.0
    # a "below" statistic: smaller is worse
    assert sig.confidence(1e-4, 1e-3, 1e-5) == pytest.approx(0.75)
    assert sig.confidence(math.inf, 1.0, 2.0) == 1.0


def _hist(step, edges, counts) -> pd.DataFrame:
    return pd.DataFrame({"step": step, "wall_time": float(step), "left": edges[:-1],
                         "right": edges[1:], "count": counts})


def test_hist_l2_approximates_the_norm_of_the_values():
    values = np.random.default_rng(0).normal(0, 0.5, 10_000)
    counts, edges = np.histogram(values, bins=64)
    frame = pd.concat([_hist(0, edges, counts), _hist(10, edges * 2, counts)])
    norms = hs.hist_l2(frame)
    assert norms[0] == pytest.approx(np.linalg.norm(values), rel=0.02)
    assert norms[10] == pytest.approx(2 * norms[0])


def test_hist_mass_at_or_below_zero_post_and_pre_relu():
    post = np.r_[np.zeros(900), np.linspace(0.1, 3, 100)]  # after ReLU: 90 % zeros
    counts, edges = np.histogram(post, bins=32)
    assert hs.hist_mass_at_or_below_zero(_hist(0, edges, counts))[0] == pytest.approx(0.9, abs=0.01)
    pre = np.random.default_rng(1).normal(-1.0, 1.0, 20_000)  # before ReLU: ~84 % below 0
    counts, edges = np.histogram(pre, bins=64)
    assert hs.hist_mass_at_or_below_zero(_hist(0, edges, counts))[0] == pytest.approx(
        np.mean(pre <= 0), abs=0.01)


def _pandas_median(s: pd.Series, window: int) -> np.ndarray:
    window = max(1, min(window, len(s)))
    return s.rolling(window, center=True, min_periods=1).median().to_numpy()


@pytest.mark.parametrize("kind", ["noise", "ties", "trend", "nonfinite"])
def test_smooth_is_pandas_centred_rolling_median_bit_for_bit(kind):
    # numpy paths (networks, partition, padded edges) and pandas' fallback (NaN/inf, even or
    # wide windows) must give the same floats, ends included, windows longer than the curve too
    rng = np.random.default_rng(len(kind))
    for n in (1, 2, 3, 4, 7, 20, 101, 250):
        for window in (1, 2, 3, 4, 5, 7, 21, 41, 43, 101, 300):
            values = rng.standard_normal(n) * 10.0 ** rng.integers(-4, 4)
            if kind == "ties":
                values = np.round(values, 1)
            elif kind == "trend":
                values = np.exp(rng.standard_normal(n)).cumsum()
            elif kind == "nonfinite" and n > 3:
                values[rng.choice(n, 3, replace=False)] = [np.nan, np.inf, -np.inf]
            s = series(values)
            got = sig.smooth(s, window)
            assert got.index.equals(s.index)
            assert np.array_equal(got.to_numpy(), _pandas_median(s, window), equal_nan=True)
            assert np.array_equal(sig.smooth_values(values, window), _pandas_median(s, window),
                                  equal_nan=True)
            end, expected = sig.smooth_end(s, window), _pandas_median(s, window)[-1]
            assert end == expected or (math.isnan(end) and math.isnan(expected))


def test_rolling_median_of_a_long_curve_in_chunks():
    values = np.round(np.random.default_rng(0).standard_normal(300_001), 2)
    for window in (5, 21, 41):
        assert np.array_equal(rolling_median(values, window),
                              _pandas_median(pd.Series(values), window))


def test_end_level_and_block_means_on_arrays_match_their_pandas_forms():
    rng = np.random.default_rng(1)
    s = series(np.r_[rng.random(57), np.nan, rng.random(40)])
    kept = s[np.isfinite(s)]
    assert sig.end_level(s) == float(np.median(kept.iloc[-max(3, math.ceil(len(kept) * 0.1)):]))
    blocks = sig.block_means(s.fillna(0.5), 10)
    part = s.fillna(0.5).iloc[len(s) % 10:]
    assert np.array_equal(blocks.to_numpy(), part.to_numpy().reshape(-1, 10).mean(axis=1))
    assert list(blocks.index) == list(part.index[9::10])


def test_rising_share_and_the_theil_sen_fitted_rise():
    s = series([1.0, 2.0, 3.0, 2.5])
    assert sig.rising_share(s) == pytest.approx(5 / 6)  # one (earlier, later) pair of six falls
    assert sig.rising_share(series([1.0])) == 0.0
    # the median pairwise slope (0.075 per step) over the 30 steps spanned
    assert sig.fitted_rise(s) == pytest.approx(2.25)
    wild = series([1.0, 2.0, 30.0, 4.0, 5.0])  # one wild point does not move the median slope
    assert sig.fitted_rise(wild) == pytest.approx(4.0)
