"""From the block times of one callback-overhead A/B fit to the overhead at the callback's
default cadence (see `benchmarks/callback_overhead.py` for the method): each on block against an
off neighbour on each side where the framework's own logging falls alike, the median log ratio per
kind of block weighted as the default cadence has the kinds, a block bootstrap for the interval;
and the checks that the callback was really switched (hooked and recorded steps, hook calls).
"""
from __future__ import annotations

import statistics

import numpy as np

from benchmarks.callback_blocks import COUNTED, EVERY, HIST_EVERY, KINDS, VARIANTS, Blocks, Plan


def recorded_blocks(blocks: Blocks) -> list[int]:
    """Per block, how many distinct steps the instruments recorded values for."""
    plan = blocks.plan
    records = blocks.instruments.records.values() if blocks.instruments is not None else ()
    per = [0] * blocks.n
    for s in {s for points in records for s, _ in points}:
        j = (s - plan.start) // plan.block
        if s >= plan.start and j < blocks.n:
            per[j] += 1
    return per


def own_logging(plan: Plan, j: int, every: int) -> tuple[int, ...]:
    """Where in block j the framework itself logs (it logs after steps s with (s + 1) % every == 0)."""
    first = plan.start + plan.block * j
    return tuple(s - first for s in range(first, first + plan.block) if (s + 1) % every == 0)


def neighbours(plan: Plan, j: int, every: int, reach: int = 9) -> tuple[int, int]:
    """The off blocks block j is compared with: on each side the nearest (within `reach`
    blocks) where the framework's own logging falls as in block j, else the adjacent one."""
    own, n = own_logging(plan, j, every), len(plan.states)
    found = []
    for step in (-1, 1):
        near = (j + step * d for d in range(1, reach + 1) if 0 <= j + step * d < n)
        found.append(next((i for i in near if plan.states[i] == "off" and own_logging(plan, i, every) == own),
                          j + step))
    return found[0], found[1]


def ratios(times: list[float], plan: Plan, variant: str, every: int) -> dict[str, np.ndarray]:
    """Per kind of `variant` block, in the order run: log(on / off) against each of its two
    off neighbours (see `neighbours`), one row per block."""
    out: dict[str, list[tuple[float, float]]] = {}
    t = np.log(times)
    for j in range(1, len(plan.states) - 1):
        if plan.states[j] == variant:
            left, right = neighbours(plan, j, every)
            kind = plan.kind(j) if variant == "doctor" else "plain"
            out.setdefault(kind, []).append((t[j] - t[left], t[j] - t[right]))
    return {k: np.array(v) for k, v in out.items()}


def weights(block: int) -> dict[str, float]:
    """The kinds' shares of the blocks at the default cadence (per 100 steps, one logging block;
    1 in 10 of them with histograms)."""
    per = EVERY // block
    share = HIST_EVERY // EVERY
    return {"plain": (per - 1) / per, "logging": (share - 1) / share / per, "histogram": 1 / share / per}


def combine(medians: dict[str, np.ndarray], block: int) -> np.ndarray:
    """Overhead at the default cadence from each kind's median log ratio (a kind the run lacks
    takes the next one's: histogram -> logging -> plain)."""
    w, total = weights(block), 0.0
    for kind in KINDS:
        fallback = next(k for k in (kind, "logging", "plain") if k in medians)
        total = total + w[kind] * np.expm1(medians[fallback])
    return total


def chunked(rows: np.ndarray, rng, resamples: int) -> np.ndarray:
    """`resamples` bootstrap medians of `rows` (blocks in run order, 2 ratios each), drawn in
    runs of ~n^(1/3) consecutive blocks so that slow load swings keep their correlation."""
    n = len(rows)
    length = max(1, round(n ** (1 / 3)))
    starts = rng.integers(0, n, (resamples, -(-n // length)))
    idx = (starts[..., None] + np.arange(length)) % n
    return np.median(rows[idx.reshape(resamples, -1)].reshape(resamples, -1), axis=1)


def estimate(per_kind: dict[str, np.ndarray], block: int, resamples: int = 2000) -> tuple[float, float, float]:
    """(overhead, 95 % interval low, high): the median log ratio per kind, combined; the
    interval by a bootstrap of blocks within each kind."""
    rng = np.random.default_rng(0)
    point = combine({k: np.median(v) for k, v in per_kind.items()}, block)
    boot = combine({k: chunked(v, rng, resamples) for k, v in per_kind.items()}, block)
    return float(point), float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


def left_behind(times: list[float], plan: Plan) -> float:
    """Median of (off block after a logging doctor block) / (off block before it) - 1: work the
    doctor's logging step leaves to the steps after its block (its writer thread, a collection)
    would show here, and would be missed by the estimate."""
    t = np.log(times)
    return float(np.expm1(np.median([t[j + 1] - t[j - 1] for j in range(1, len(t) - 1) if plan.marked(j)] or [0.0])))


def report(blocks: Blocks) -> dict:
    """Per variant: the median ms per step off and on, the overhead (wall, CPU) with its
    interval, the blocks compared per kind, each kind's median and `left_behind`; the share of a
    core the process had (CPU / wall time per block: below 1, the machine's other work took the
    rest), 10th percentile and median."""
    plan = blocks.plan
    assert len(blocks.wall) == blocks.n, f"{len(blocks.wall)} blocks timed of {blocks.n}"
    per_step = {s: [1000 * w / plan.block for w, st in zip(blocks.wall, plan.states) if st == s]
                for s in ("off", *VARIANTS)}
    rows = {}
    for variant in VARIANTS:
        wall, cpu = (ratios(times, plan, variant, blocks.own_every) for times in (blocks.wall, blocks.cpu))
        rows[variant] = dict(ms_off=statistics.median(per_step["off"]), ms_on=statistics.median(per_step[variant]),
                             wall=estimate(wall, plan.block), cpu=estimate(cpu, plan.block),
                             pairs={k: len(v) for k, v in wall.items()},
                             medians={k: (float(np.expm1(np.median(wall[k]))), float(np.expm1(np.median(cpu[k]))))
                                      for k in wall},
                             after=(left_behind(blocks.wall, plan), left_behind(blocks.cpu, plan)))
    return dict(framework=blocks.framework, plan=plan, wall=blocks.wall, cpu=blocks.cpu, hooked=blocks.hooked,
                recorded=recorded_blocks(blocks), calls=blocks.calls, rows=rows,
                share=tuple(np.percentile(np.array(blocks.cpu) / np.array(blocks.wall), [10, 50])))


def checks(result: dict) -> list[str]:
    """What must hold for the A/B to measure our callback: the problems found (none: [])."""
    plan, problems = result["plan"], []
    expected = [int(plan.marked(j)) for j in range(len(plan.states))]
    for what in ("hooked", "recorded"):
        wrong = [j for j, (k, e) in enumerate(zip(result[what], expected)) if k != e]
        if wrong:
            problems.append(f"{what} steps not 1 per logging doctor block and 0 elsewhere: blocks {wrong[:5]}")
    for key, per in result["calls"].items():
        want = [len(COUNTED[result["framework"]]) * plan.block if s == key else 0 for s in plan.states]
        if per != want:
            problems.append(f"{key}'s hooks called outside its blocks or not on each of their steps")
    return problems
