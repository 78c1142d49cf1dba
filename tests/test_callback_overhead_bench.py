"""The callback-overhead benchmark (benchmarks/callback_overhead.py and its callback_* modules):
its block plan, and a short within-run A/B per framework in which the callback is really
switched: our hooks are called on every step of the doctor's blocks and never elsewhere, the
instruments' forward hooks run only in its logging blocks, the tags it writes come from those
blocks' steps only, and the report holds finite numbers.

    pytest tests/test_callback_overhead_bench.py
"""
from __future__ import annotations

import math

import pytest

from benchmarks.callback_blocks import COUNTED, EVERY, HIST_EVERY, MIN_WARMUP, ab_plan
from benchmarks.callback_estimate import checks, weights
from benchmarks.callback_fits import FRAMEWORKS, measure


@pytest.mark.parametrize("block", [2, 10, 20, 100])
def test_every_logging_step_is_the_middle_of_its_block(block):
    plan = ab_plan(12000, block)
    n = len(plan.states)
    assert plan.states[0] == plan.states[-1] == "off" and plan.start >= MIN_WARMUP
    assert plan.states.count("doctor") == plan.states.count("noop") == (n - 1) // 4
    for j in range(n):
        first = plan.start + block * j
        logging = [s for s in range(first, first + block) if s % EVERY == 0]
        assert logging == ([first + block // 2] if plan.kind(j) != "plain" else [])
    marked = [j for j in range(n) if plan.marked(j)]
    hist = [j for j in marked if plan.kind(j) == "histogram"]
    assert len(hist) >= len(marked) // 10 > 0  # histograms at least as often as the default
    if block == 100:
        assert all(plan.marked(j) for j in range(n) if plan.states[j] == "doctor")  # one each
    shares = weights(block)
    assert math.isclose(sum(shares.values()), 1) and math.isclose(shares["histogram"], block / 1000)


def test_odd_blocks_are_refused():
    for block in (3, 7, 30):
        with pytest.raises(ValueError):
            ab_plan(1000, block)


@pytest.mark.slow
@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_short_ab_switches_the_callback(framework, tmp_path):
    from diagnostics.reader import load

    result = measure(framework, steps=800, block=10, count=True, out=str(tmp_path))
    plan = result["plan"]
    assert checks(result) == []
    hooks = len(COUNTED[framework])
    assert result["calls"]["doctor"] == [hooks * 10 if s == "doctor" else 0 for s in plan.states]
    assert result["calls"]["noop"] == [hooks * 10 if s == "noop" else 0 for s in plan.states]
    marked = [j for j in range(len(plan.states)) if plan.marked(j)]
    assert result["hooked"] == [int(j in marked) for j in range(len(plan.states))]
    assert any(plan.kind(j) == "histogram" for j in marked)

    # what the callback wrote, read back: the warm-up's logging steps, then the logging doctor blocks' only
    logged = {plan.start + 10 * j + 5 for j in marked}
    warm = set(range(0, plan.start, EVERY))
    runs = [r for r in load(tmp_path).runs if r.layers("weight_norm")]
    assert len(runs) == 1
    for series in runs[0].layers("weight_norm").values():
        assert set(series.index) == warm | logged
    hist_steps = {s for s in warm | logged if s % HIST_EVERY == 0}
    for tag in runs[0].histogram_tags("grad"):
        assert set(runs[0].histogram(tag)["step"]) == hist_steps

    for variant, row in result["rows"].items():
        assert row["ms_off"] > 0 and row["ms_on"] > 0
        for point, low, high in (row["wall"], row["cpu"]):
            assert all(map(math.isfinite, (point, low, high))) and low <= point <= high
        assert sum(row["pairs"].values()) == plan.states.count(variant)
