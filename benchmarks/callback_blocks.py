"""The block plan of the callback-overhead A/B and the switching behind it (see
`benchmarks/callback_overhead.py` for the method): `ab_plan` cuts the timed steps into off and on
blocks placed against the callback's logging cadence, and `Blocks`, driven by a timing callback
last in the framework's list, times each block and hands the framework the callback list of the
next one, counting on the way the steps whose forward ran hooked and (optionally) our callbacks'
hook calls per block.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from torch import nn

EVERY, HIST_EVERY = 100, 1000  # RunDoctorCallback's defaults (checked against the instance)
MIN_WARMUP = 200  # steps with the callback on before the first block (steps 0, 100 log)
KINDS = ("plain", "logging", "histogram")  # of doctor block: see Plan.kind
# the on states, as the tables name them
VARIANTS = {"doctor": "+ RunDoctorCallback() (defaults)", "noop": "+ a no-op callback (the framework's dispatch)"}
# the hooks counted per block with --count-calls: per-step events each framework sends to every
# callback in its list, whether it defines them or not (the doctor's own hooks among them)
COUNTED = {"lightning": ("on_train_batch_start", "on_before_optimizer_step", "on_train_batch_end"),
           "huggingface": ("on_step_begin", "on_pre_optimizer_step", "on_optimizer_step", "on_step_end")}


@dataclass
class Plan:
    """Blocks of `block` steps from step `start`; `states[j]` is block j's."""
    start: int
    block: int
    states: list[str]

    @property
    def steps(self) -> int:
        return self.start + self.block * len(self.states)

    def kind(self, j: int) -> str:
        """plain, logging (its middle step is a multiple of EVERY) or histogram (of HIST_EVERY)."""
        middle = self.start + self.block * j + self.block // 2
        return "histogram" if middle % HIST_EVERY == 0 else "logging" if middle % EVERY == 0 else "plain"

    def marked(self, j: int) -> bool:
        """Does the doctor log in block j?"""
        return self.states[j] == "doctor" and self.kind(j) != "plain"


def ab_plan(steps: int, block: int, seed: int = 0) -> Plan:
    """About `steps` timed steps in blocks of `block` (an even divisor of EVERY): off, on, off,
    on, ..., off, each pair of on blocks a no-op and a doctor block in random order (seeded), so
    that nothing periodic in the machine or the framework lines up with one variant; a block
    holding a histogram step is always a doctor block. Each logging step is the middle of its
    block; of the warm-ups that place them so, the first that puts the most histogram steps,
    then the most logging steps, in on blocks."""
    if block < 2 or block % 2 or EVERY % block:
        raise ValueError(f"--block must be an even divisor of {EVERY}")
    cycles = max(1, steps // (4 * block))
    period = 2 * HIST_EVERY // block  # blocks: the on/off pattern against the cadence repeats in 2000 steps
    starts = [s for s in range(MIN_WARMUP, MIN_WARMUP + 2 * HIST_EVERY) if (s + block // 2) % block == 0]

    def score(start: int) -> tuple[int, int, int]:
        kinds = [Plan(start, block, []).kind(j) for j in range(1, period, 2)]  # the on blocks'
        return kinds.count("histogram"), len(kinds) - kinds.count("plain"), -start
    start = max(starts, key=score)
    rng = random.Random(seed)
    states = []
    for c in range(cycles):
        pair = ["noop", "doctor"] if rng.random() < 0.5 else ["doctor", "noop"]
        hist = [Plan(start, block, []).kind(4 * c + j) == "histogram" for j in (1, 3)]
        if hist[0] != hist[1]:
            pair = ["doctor", "noop"] if hist[0] else ["noop", "doctor"]
        states += ["off", pair[0], "off", pair[1]]
    plan = Plan(start, block, [*states, "off"])
    marked = [j for j in range(len(plan.states)) if plan.marked(j)]
    hist = [j for j in marked if plan.kind(j) == "histogram"]
    assert len(hist) >= len(marked) // (HIST_EVERY // EVERY), "fewer histogram steps than the default"
    return plan


class Blocks:
    """The timing callback's state: the plan, each block's wall and CPU seconds, how many steps
    of each block ran their forward with hooks armed, and (counting) our callbacks' hook calls
    per block. `extras[state]`: the callbacks a state adds before the timer; `warm`: the state
    of the warm-up and of the end of the fit."""

    def __init__(self, plan: Plan, warm: str, extras: dict[str, list], timer, modules: list[nn.Module]):
        self.plan, self.warm, self.extras, self.timer = plan, warm, extras, timer
        self.n = len(plan.states)
        self.mine = [timer, *extras["doctor"], *extras["noop"]]
        self.modules = modules
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.hooked = [0] * self.n
        self.calls: dict[str, list[int]] = {}
        self.current = -1  # the block under way: -1 in the warm-up, n after the last
        self.t0 = self.c0 = 0.0
        self.instruments = None  # the doctor's, kept for the checks (the callback drops it at the end)
        self.framework = ""
        self.own_every = 0  # the framework's own logging cadence (Lightning log_every_n_steps, HF logging_steps)

    def step_start(self) -> None:
        """A step starts: count it if its forward will run with hooks on the model."""
        if 0 <= self.current < self.n and any(m._forward_hooks or m._forward_pre_hooks for m in self.modules):
            self.hooked[self.current] += 1

    def step_end(self, done: int, callbacks: list) -> list | None:
        """`done` steps are over: at a block boundary, close the block's times and return the
        callback list of the next block (the caller installs it); else None."""
        if done < self.plan.start or (done - self.plan.start) % self.plan.block:
            return None
        wall, cpu = time.perf_counter(), time.process_time()
        if 0 <= self.current < self.n:
            self.wall.append(wall - self.t0)
            self.cpu.append(cpu - self.c0)
        self.current += 1
        if self.instruments is None:
            self.instruments = next((c.instruments for c in self.extras["doctor"] if c.instruments), None)
        state = self.plan.states[self.current] if self.current < self.n else self.warm
        new = [c for c in callbacks if all(c is not m for m in self.mine)] + self.extras[state] + [self.timer]
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return new

    def count_calls(self, key: str, callback, names) -> None:
        """Wrap `callback`'s hooks `names` with a per-block call counter (an instance attribute
        shadows the method: both frameworks look hooks up by name)."""
        counts = self.calls.setdefault(key, [0] * self.n)

        def counted(hook):
            def call(*args, **kwargs):
                if 0 <= self.current < self.n:
                    counts[self.current] += 1
                return hook(*args, **kwargs)
            return call
        for name in names:
            setattr(callback, name, counted(getattr(callback, name)))


def make_blocks(framework: str, plan: Plan, warm: str, doctor, noop, timer, model: nn.Module,
                count: bool) -> Blocks:
    assert (doctor.every, doctor.hist_every) == (EVERY, HIST_EVERY), "not the callback's defaults"
    blocks = Blocks(plan, warm, {"off": [], "doctor": [doctor], "noop": [noop]}, timer, list(model.modules()))
    blocks.framework = framework
    if count:
        for key, cb in (("doctor", doctor), ("noop", noop)):
            blocks.count_calls(key, cb, COUNTED[framework])
    return blocks
