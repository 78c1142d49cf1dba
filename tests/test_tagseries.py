"""Series split by tag once (`diagnostics.tagseries`) and the vectorised histogram statistics:
the same answers as the per-call filters and per-step `groupby.apply` they replace."""
from __future__ import annotations

import pickle
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics import histogram_stats as hs
from diagnostics import reader
from diagnostics.rules.base import available
from diagnostics.rundata import RunData

SAMPLES = Path(__file__).resolve().parents[1] / "sample_runs"


# ---- the implementations replaced, kept as the reference ---------------------------------
def old_original(scalars: pd.DataFrame, tag: str) -> pd.Series:
    frame = scalars[scalars["tag"] == tag]
    frame = frame.sort_values("wall_time", kind="stable").drop_duplicates("step", keep="last")
    series = pd.Series(frame["value"].to_numpy(dtype=np.float64),
                       index=frame["step"].to_numpy(dtype=np.int64), name=tag).sort_index(kind="stable")
    series.index.name = "step"
    return series


def old_point_counts(run: RunData) -> dict[str, int]:
    counts = run.scalars.groupby("tag", observed=True).size().to_dict()
    if not run.histograms.empty:
        hist = run.histograms.drop_duplicates(["tag", "step", "wall_time"])
        for tag, n in hist.groupby("tag", observed=True).size().items():
            counts[tag] = counts.get(tag, 0) + int(n)
    for tag in run.derived:
        counts[tag] = len(run.original(tag))
    return {str(k): int(v) for k, v in sorted(counts.items())}


def _old_per_step(frame):
    last = frame.groupby("step")["wall_time"].transform("max")
    return frame[frame["wall_time"] == last].groupby("step", sort=True)


def old_hist_l2(frame: pd.DataFrame) -> pd.Series:
    def norm(g):
        centre = (g["left"].to_numpy() + g["right"].to_numpy()) / 2
        return float(np.sqrt(np.sum(g["count"].to_numpy() * centre**2)))
    return _old_per_step(frame).apply(norm).astype(np.float64).rename("l2")


def old_hist_mass(frame: pd.DataFrame) -> pd.Series:
    def frac(g):
        left, right, count = g["left"].to_numpy(), g["right"].to_numpy(), g["count"].to_numpy()
        total = count.sum()
        if total <= 0:
            return float("nan")
        width = np.where(right > left, right - left, 1.0)
        below = np.clip((0.0 - left) / width, 0.0, 1.0)
        below = np.where(right <= 0, 1.0, below)
        below = np.where(left == 0.0, 1.0, below)
        return float(np.sum(count * below) / total)
    return _old_per_step(frame).apply(frac).astype(np.float64).rename("mass_le_0")


# ---- frames -------------------------------------------------------------------------------
def messy_scalars(seed: int, categorical: bool = True) -> pd.DataFrame:
    """Tags interleaved, steps re-logged (a resume), wall times that tie, go back, or are NaN."""
    rng = np.random.default_rng(seed)
    n = 600
    frame = pd.DataFrame({
        "run": "r",
        "tag": rng.choice(["a", "b", "c", "loss/x", "loss/y"], n),
        "step": rng.integers(0, 120, n),
        "value": rng.standard_normal(n),
        "wall_time": np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 50, n).astype(float)),
    })
    return frame.astype({"run": "category", "tag": "category"}) if categorical else frame


def clean_scalars(steps: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"run": "r", "tag": np.tile(["a", "b"], steps), "step": np.repeat(np.arange(steps), 2),
                         "value": np.arange(2.0 * steps), "wall_time": np.repeat(np.arange(steps, dtype=float), 2)}
                        ).astype({"run": "category", "tag": "category"})


def sample_runs() -> list[RunData]:
    return list(reader.load(SAMPLES).runs)


def messy_histograms(seed: int) -> pd.DataFrame:
    """Bucket rows of two tags; a step re-logged later (same and later wall time), a NaN wall
    time, an all-zero histogram, float32 columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for tag in ("act/a", "grad/b"):
        for step, wall in [(0, 0.0), (1, 1.0), (2, 2.0), (1, 1.0), (2, 5.0), (3, np.nan), (4, 4.0),
                           (3, 3.0), (5, 5.0)]:
            edges = np.sort(rng.normal(-0.5, 1.0, 9))
            counts = np.zeros(8) if step == 5 else rng.integers(0, 20, 8).astype(float)
            rows += [(tag, step, wall, edges[i], edges[i + 1], counts[i]) for i in range(8)]
    frame = pd.DataFrame(rows, columns=["tag", "step", "wall_time", "left", "right", "count"])
    frame.insert(0, "run", "r")
    return frame.astype({"run": "category", "tag": "category"})


# ---- scalars ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("categorical", [True, False])
def test_original_matches_a_filter_sort_and_dedup_of_the_frame(seed, categorical):
    frame = messy_scalars(seed, categorical)
    run = RunData(run="r", scalars=frame, tag_map={t: t for t in ("a", "b", "c")})
    for tag in ("a", "b", "c", "loss/x", "absent"):
        pd.testing.assert_series_equal(run.original(tag), old_original(frame, tag))


def test_original_in_file_order_and_on_sample_runs():
    frame = clean_scalars()
    run = RunData(run="r", scalars=frame)
    pd.testing.assert_series_equal(run.original("b"), old_original(frame, "b"))
    for run in sample_runs():
        for tag in run.scalars["tag"].cat.categories:
            pd.testing.assert_series_equal(run.original(tag), old_original(run.scalars, tag))


def test_scalar_takes_the_original_with_most_points_and_derived_tags_sum_their_parts():
    frame = messy_scalars(7)
    run = RunData(run="r", scalars=frame, tag_map={"a": "train/loss", "b": "train/loss", "total": "val/loss"},
                  derived={"total": ("loss/x", "loss/y")})
    longest = max((old_original(frame, t) for t in ("a", "b")), key=len)
    pd.testing.assert_series_equal(run.scalar("train/loss"), longest.rename("train/loss"))
    x, y = old_original(frame, "loss/x"), old_original(frame, "loss/y")
    expected = pd.concat([x, y], axis=1, join="inner").sum(axis=1, min_count=2).rename("total")
    expected.index.name = "step"
    pd.testing.assert_series_equal(run.original("total"), expected)
    assert run.original("total") is run.original("total")  # built once
    assert run.has_points("val/loss") and not run.has_points("val/acc")


def test_series_are_shared_but_cannot_be_changed_through_a_caller():
    run = RunData(run="r", scalars=clean_scalars())
    series = run.original("a")
    assert series is run.original("a")
    with pytest.raises(ValueError):
        series.to_numpy()[0] = 99.0  # read-only arrays
    changed = series.copy()
    changed.iloc[0] = 99.0
    assert run.original("a").iloc[0] == 0.0


def test_cache_is_shared_by_mapping_copies_and_dropped_for_other_frames():
    frame = clean_scalars()
    run = RunData(run="r", scalars=frame, tag_map={"a": "train/loss", "b": None})
    first = run.scalar("train/loss")
    mapped = run.with_mapping({"b": "train/loss", "a": None})
    assert mapped.original("a") is run.original("a")  # same frames: same cache
    pd.testing.assert_series_equal(mapped.scalar("train/loss"), old_original(frame, "b").rename("train/loss"))
    other = replace(run, scalars=frame.assign(value=frame["value"] * 2))
    assert other.scalar("train/loss").iloc[-1] == 2 * first.iloc[-1]


def test_pickled_run_gives_the_same_series():
    run = RunData(run="r", scalars=messy_scalars(3), tag_map={"a": "train/loss"})
    expected = run.scalar("train/loss")
    back = pickle.loads(pickle.dumps(run))
    pd.testing.assert_series_equal(back.scalar("train/loss"), expected)


def test_concurrent_readers_get_the_same_series():
    run = RunData(run="r", scalars=messy_scalars(5), tag_map={t: t for t in ("a", "b", "c")})
    results, barrier = [], threading.Barrier(8)

    def read():
        barrier.wait()
        results.append([run.original(t).to_numpy().copy() for t in ("a", "b", "c")])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [old_original(run.scalars, t).to_numpy() for t in ("a", "b", "c")]
    for got in results:
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_available_answers_from_counts_without_building_series(monkeypatch):
    frame = clean_scalars()
    run = RunData(run="r", scalars=frame, tag_map={"a": "train/loss", "b": "grad_norm/fc1", "z": "val/loss"})
    monkeypatch.setattr(RunData, "original", lambda self, tag: pytest.fail("a series was built"))
    assert available(run, "train/loss") and available(run, "grad_norm/*")
    assert not available(run, "val/loss") and not available(run, "dead_frac/*")


# ---- histograms ---------------------------------------------------------------------------
def test_point_counts_and_histogram_tags_match_the_frame_wide_versions():
    for run in [*sample_runs(), RunData(run="r", scalars=messy_scalars(1), histograms=messy_histograms(1),
                                         tag_map={"act/a": "act/a", "grad/b": "grad/b", "a": "act/x"})]:
        assert run.point_counts() == old_point_counts(run)
        hist = run.histograms
        for prefix in ("act", "grad"):
            expected = sorted(o for o, c in run.tag_map.items() if c and c.split("/")[0] == prefix
                              and o in set(hist["tag"].unique()))
            assert run.histogram_tags(prefix) == expected
        for tag in hist["tag"].cat.categories:
            pd.testing.assert_frame_equal(run.histogram(tag), hist[hist["tag"] == tag])


def test_histogram_statistics_match_the_per_step_versions():
    frames = [run.histogram(tag) for run in sample_runs() for tag in run.histograms["tag"].cat.categories]
    hist = messy_histograms(2)
    frames += [hist[hist["tag"] == "act/a"], hist[hist["tag"] == "grad/b"], hist.iloc[::-1]]
    for frame in frames:
        pd.testing.assert_series_equal(hs.hist_l2(frame), old_hist_l2(frame), check_exact=True)
        pd.testing.assert_series_equal(hs.hist_mass_at_or_below_zero(frame), old_hist_mass(frame),
                                       check_exact=True)


def test_histogram_statistics_read_float32_columns_as_float64():
    frame = messy_histograms(4)
    narrow = frame.astype({"left": np.float32, "right": np.float32, "count": np.float32})
    wide = narrow.astype({"left": np.float64, "right": np.float64, "count": np.float64})
    pd.testing.assert_series_equal(hs.hist_l2(narrow), old_hist_l2(wide))
    pd.testing.assert_series_equal(hs.hist_mass_at_or_below_zero(narrow), old_hist_mass(wide))


def test_histogram_statistics_of_nothing_are_empty():
    frame = messy_histograms(0).iloc[:0]
    for stat in (hs.hist_l2, hs.hist_mass_at_or_below_zero):
        assert stat(frame).empty and stat(frame).index.name == "step"
    unstamped = messy_histograms(0).assign(wall_time=np.nan)  # no write has a time: none is last
    assert hs.hist_l2(unstamped).empty


def test_histogram_statistics_are_computed_once_per_run():
    run = RunData(run="r", histograms=messy_histograms(3), tag_map={"grad/b": "grad/b"})
    first = run.histogram_statistic("grad/b", hs.hist_l2)
    assert first is run.histogram_statistic("grad/b", hs.hist_l2)
    pd.testing.assert_series_equal(first, old_hist_l2(run.histogram("grad/b")))


def test_the_mapping_panel_shows_the_original_the_diagnosis_reads():
    # Two originals map onto train/loss: one re-logs every step three times (more rows), the
    # other has more distinct steps. The diagnosis reads the second; so must the panel.
    from diagnostics.rules.base import SyntheticRun
    from ui.mapping import guessed

    steps = np.arange(10)
    run = (SyntheticRun("two_losses")
           .scalar("loss", np.repeat(steps, 3), np.repeat(np.linspace(2, 1, 10), 3))
           .scalar("train_loss", np.arange(20), np.linspace(2, 0.5, 20)).build())
    run = run.with_mapping({"loss": "train/loss", "train_loss": "train/loss"})
    assert len(run.scalars[run.scalars["tag"] == "loss"]) == 30  # more rows...
    assert run.chosen_original("train/loss") == "train_loss"  # ...fewer steps
    assert run.scalar("train/loss").equals(run.original("train_loss").rename("train/loss"))
    assert guessed(run, "train/loss") == "train_loss"
