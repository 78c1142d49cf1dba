"""Cost of `RunDoctorCallback` on step time, within one fit: each framework's own loop with the
callback switched on and off in alternating blocks of steps, same model and data.

PyTorch Lightning (`Trainer.fit` with its TensorBoardLogger, `self.log` of the loss) and the
Hugging Face `Trainer` (`report_to=["tensorboard"]`), each at its own default logging cadence.
Model: our trainer's default digits MLP (2x64 ReLU, batch 64, Adam), 1 torch thread.

Method (within-run A/B). One fit per framework. After a warm-up of ~200 optimizer steps (the
callback on), the steps are cut into blocks of `--block` steps (10): off, on, off, on, ..., off,
each two on blocks a no-op block and a doctor block in random order (seeded). A timing callback,
last in the framework's own callback list, replaces that list at each block boundary (the end of
a block's last step): "off" = the framework's callbacks and the timer; "doctor" = +
`RunDoctorCallback()` at its defaults (every=100, hist_every=1000); "no-op" = + the framework's
empty `Callback` / `TrainerCallback` (what the framework charges for dispatching its per-step
events to one more callback). The frameworks iterate the list they hold at each event, so a
callback out of the list is not called at all (`--count-calls` counts the calls per block). The
framework's own per-step work (its own logging too: Lightning every 50 steps, HF every 500) is
the same with the callback on or off; only our callback's hooks differ.

Cadence. The blocks are placed so that every logging step (a multiple of 100) is the middle step
of its block, with the step before it (which arms the instruments' forward hooks for the logging
forward) and the ones after it in the same block; the doctor logs only the logging steps that
fall in its blocks. With 10-step blocks every logging step falls in an on block, a doctor block
for about half of them (at random), and for every histogram step (multiples of 1000: a block
holding one is always a doctor block). So about 1 doctor block in 5 holds a logging step (1
logging step per ~50 doctor steps: twice the default's rate) and 1 in 5 of those also writes the
histograms (twice the default's 1 in 10). The doctor blocks are thus of three kinds: plain,
logging, logging + histograms. The forward hooks are counted per block (steps whose forward ran
hooked: 1 per logging doctor block, 0 elsewhere) and every value the instruments recorded must
come from a logging doctor block (both checked after each fit).

Estimate. Each block is timed by wall clock (`perf_counter`) and process CPU time
(`process_time`: every thread, the event writer's included), the list swap left out. Each
doctor (or no-op) block is compared with an off block on each side: log(on / off), two values
per block, so machine drift hits both alike. (Each off block alone, not the mean of both: step
times are skewed, preemption only slows, and on - mean(two off) has a median below 0 with
nothing switched.) The off block on each side is the nearest one where the framework's own
logging falls as in the on block: Lightning logs after every 50th step, the step before each of
our logging steps, so a logging block is compared with the off blocks 50 steps away, which hold
Lightning's log at the same place, and a plain block with off blocks that hold none. (HF logs
after every 500th step; with 10-step blocks those steps fall in our logging blocks, all of them
on blocks, so HF's own log is counted against the callback in 1 logging block in 5 and in every
histogram block: this errs on the side of a higher overhead.) Per kind of doctor block, the
median; the overhead AT THE DEFAULT CADENCE weights the kinds as the default has them: per 100
steps, 100/block - 1 plain blocks and one logging block, 1 logging block in 10 also writing
histograms (block 10: 0.9 plain + 0.09 logging + 0.01 histogram). Weighting makes the result
independent of how often each kind occurs in the run; the run holds logging and histogram
blocks more often than the default only to measure them more closely. Interval: 95 % bootstrap
(2,000 resamples of blocks within each kind, drawn in runs of consecutive blocks). Below the
table, per framework: the doctor's cost per kind of block, what its logging blocks leave to the
next block, and the share of a core the process had (CPU / wall time per block; about 1.0 on a
quiet machine). `--null` runs the same plan with every block off: an A/A test, whose rows should
read 0 within their intervals.

Why short blocks: on this shared 2-core VM the relative difference of neighbouring blocks has
about the same spread (4-5 % robust SD in quiet moments) for blocks of 2 to 100 steps, so
10-step blocks give 10 times the pairs of 100-step blocks in the same time. `--block 100`: every
doctor block holds one logging step, as at the default cadence; its interval is ~3 times wider.

    OMP_NUM_THREADS=1 python benchmarks/callback_overhead.py [--steps 20000] [--block 10]
        [--only lightning|huggingface] [--count-calls] [--null] [--whole-fits R]

`--whole-fits R` adds the earlier measure: whole fits (bare, no-op, doctor; 1000 timed steps
after the warm-up), alternating in rotating order for R rounds, medians compared. On a shared
machine their differences swing by +-13 % even for the no-op callback: secondary rows only.

Code: the block plan and its switching in `callback_blocks.py`, the two fits in
`callback_fits.py`, the estimate and checks in `callback_estimate.py`; here the command line
and the tables.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import logging
import os
import platform
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file: the repository's packages
from benchmarks.callback_blocks import VARIANTS, Plan, ab_plan  # noqa: E402
from benchmarks.callback_estimate import checks  # noqa: E402
from benchmarks.callback_fits import DEFAULTS, FRAMEWORKS, measure, setup  # noqa: E402

WHOLE_FIT = 1000  # steps timed per whole fit: 10 logging steps, 1 histogram step
NAMES = {"lightning": "Lightning", "huggingface": "HF Trainer"}


def pct(x: float) -> str:
    return f"{100 * x:+.1f} %".replace("-", "−")


def print_ab(name: str, result: dict, load: tuple[float, float], null: bool = False) -> None:
    for variant, r in result["rows"].items():
        (w, wlo, whi), (c, clo, chi) = r["wall"], r["cpu"]
        label = f"A/A: every block off, read as {variant}" if null else VARIANTS[variant]
        n = sum(r["pairs"].values())
        pairs = f"{n} ({', '.join(f'{k} {m}' for k, m in r['pairs'].items())})" if variant == "doctor" else n
        print(f"| {NAMES[name]} | {label} | {r['ms_off']:.2f} | {r['ms_on']:.2f} | **{pct(w)}** "
              f"[{pct(wlo)}, {pct(whi)}] | {pct(c)} [{pct(clo)}, {pct(chi)}] | {pairs} | "
              f"{load[0]:.1f} → {load[1]:.1f} |", flush=True)


def print_kinds(name: str, result: dict) -> None:
    """The doctor's cost per kind of block (µs per block over its off neighbours) and what its
    logging blocks leave to the next block."""
    r, block = result["rows"]["doctor"], result["plan"].block

    def us(x: float) -> str:
        return f"{1000 * block * r['ms_off'] * x:+.0f}".replace("-", "−")
    parts = [f"{k} {us(m[0])} µs wall, {us(m[1])} µs CPU" for k, m in r["medians"].items()]
    print(f"- {NAMES[name]}, the doctor per {block}-step block (medians): " + "; ".join(parts)
          + f". The off block after a logging doctor block against the one before it: {pct(r['after'][0])} wall, "
          f"{pct(r['after'][1])} CPU. Share of a core (CPU / wall time per block): median "
          f"{result['share'][1]:.2f}, 10th percentile {result['share'][0]:.2f}.")


# ---- whole fits (secondary) -------------------------------------------------------------------
def whole_fits(name: str, rounds: int) -> None:
    """Bare, no-op and doctor fits alternating (rotating order), each timed over the same 1000
    steps after the warm-up; medians. Noisy on a shared machine: see the module docstring."""
    order = ["off", *VARIANTS]
    plans = {v: Plan(250, 100, [v] * (WHOLE_FIT // 100)) for v in order}  # logging steps 300..1200
    net, data = setup(plans["off"].steps)
    times: dict[str, list[tuple[float, float]]] = {v: [] for v in order}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for variant in order[r % 3:] + order[:r % 3]:
                blocks = FRAMEWORKS[name](copy.deepcopy(net), data, plans[variant], variant,
                                          os.path.join(tmp, f"{r}-{variant}"))
                times[variant].append((sum(blocks.wall), sum(blocks.cpu)))
    wall0, cpu0 = (statistics.median(t) for t in zip(*times["off"]))
    for variant in order:
        wall, cpu = (statistics.median(t) for t in zip(*times[variant]))
        over = "– | –" if variant == "off" else f"{pct(wall / wall0 - 1)} | {pct(cpu / cpu0 - 1)}"
        print(f"| {NAMES[name]} | {VARIANTS.get(variant, 'bare')} | {1000 * wall / WHOLE_FIT:.2f} | {over} | "
              f"{rounds} |", flush=True)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} CPUs"


def versions() -> str:
    import lightning
    import transformers
    return (f"Python {platform.python_version()}, torch {torch.__version__}, lightning {lightning.__version__}, "
            f"transformers {transformers.__version__}")


def run_ab(names: list[str], args) -> list[str]:
    """The A/B table, one fit per framework; the checks' problems."""
    print("| framework | variant | ms/step off | ms/step on | overhead (wall) [95 %] | overhead (CPU) [95 %] "
          "| on blocks | load average before → after |")
    print("|---|---|---|---|---|---|---|---|")
    problems, results = [], []
    for name in names:
        load0 = os.getloadavg()[0]
        result = measure(name, args.steps, args.block, count=args.count_calls, null=args.null)
        print_ab(name, result, (load0, os.getloadavg()[0]), args.null)
        results.append((name, result))
        problems += [] if args.null else [f"{name}: {p}" for p in checks(result)]
    print()
    for name, result in results:
        print_kinds(name, result)
    if not args.null:
        print("\nchecks: " + ("; ".join(problems) if problems else
                              "hooked forwards and recorded steps: 1 per logging doctor block, 0 elsewhere"
                              + ("; our hooks called on every step of their blocks, never outside"
                                 if args.count_calls else "")))
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description="Cost of RunDoctorCallback on step time: a within-run A/B "
                                 "(see the module docstring).")
    ap.add_argument("--steps", type=int, default=20000, help="timed steps per framework (after the warm-up)")
    ap.add_argument("--block", type=int, default=10, help="steps per block (an even divisor of 100)")
    ap.add_argument("--only", choices=tuple(FRAMEWORKS))
    ap.add_argument("--count-calls", action="store_true",
                    help="count our callbacks' hook calls per block (a check; the counting adds to the on blocks)")
    ap.add_argument("--null", action="store_true", help="A/A: the same plan with every block off")
    ap.add_argument("--whole-fits", type=int, default=0, metavar="R", help="also R rounds of whole fits")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    names = [n for n in FRAMEWORKS if not args.only or n == args.only]
    plan = ab_plan(args.steps, args.block)
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine()}; {versions()}; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', '-')}, torch threads {torch.get_num_threads()}")
    print(f"model: digits MLP {DEFAULTS.depth}x{DEFAULTS.width} {DEFAULTS.activation}, batch {DEFAULTS.batch_size}, "
          f"Adam; {plan.steps} steps: {plan.start} warm-up, then {len(plan.states)} blocks of {plan.block} "
          "(off, on, off, on, ...: no-op and doctor in random order); overhead at the default cadence: per kind "
          "of doctor block the median of log(on / each off neighbour), weighted as the default has the kinds; "
          "95 % bootstrap interval\n")
    problems = run_ab(names, args)
    if args.whole_fits:
        print(f"\nwhole fits, {WHOLE_FIT} timed steps, medians of {args.whole_fits} rounds:\n")
        print("| framework | variant | ms/step | overhead (wall) | overhead (CPU) | rounds |")
        print("|---|---|---|---|---|---|")
        for name in names:
            whole_fits(name, args.whole_fits)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
