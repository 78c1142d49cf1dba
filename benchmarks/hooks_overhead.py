"""Cost of the training instruments: steps/s of one loop with and without them.

Same model, same data, one process; the variants run in interleaved segments (rotating
order) and the median over repeats is reported, so machine noise hits all variants alike.
Measured twice: with event checksums in C (`speed_up_event_writing()`, what the trainer
uses) and with tensorboard's pure-Python checksum (what a plain user process gets).

    python benchmarks/hooks_overhead.py [--steps 1000] [--repeats 15]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tensorboard.summary.writer import record_writer
from torch.utils.tensorboard import SummaryWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from trainers.config import TrainConfig  # noqa: E402
from trainers.data import load_data  # noqa: E402
from trainers.hooks import instrument, speed_up_event_writing, write_scalars  # noqa: E402
from trainers.models import build_model  # noqa: E402

DEFAULTS = TrainConfig()  # the cadence the trainer uses unless told otherwise


def segment(model, opt, writer, batches, start: int, every: int | None,
            hist_every: int) -> tuple[float, float]:
    """Train over `batches`; return steps per wall second and per CPU second of this process
    (the writer's thread included; other processes' load excluded). `every=None` runs
    without the instruments.
    Both variants log train/loss every DEFAULTS.log_every steps, as the trainer's loop does
    (instrumented: inside the instruments' event, as `after_step(step, scalars)` offers)."""
    inst = instrument(model, writer, every=every, hist_every=hist_every) if every else None
    t0, c0 = time.perf_counter(), time.process_time()
    for i, (x, y) in enumerate(batches):
        step = start + i
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if inst:
            inst.after_backward(step)
        opt.step()
        value = loss.item()
        logged = {"train/loss": value} if step % DEFAULTS.log_every == 0 else None
        if inst:
            inst.after_step(step, logged)  # the loop's scalars share the instruments' event
        elif logged:
            write_scalars(writer, step, logged)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if inst:
        inst.close()
    return len(batches) / wall, len(batches) / cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # one hist_every period: every segment holds the same share of logging steps
    ap.add_argument("--steps", type=int, default=DEFAULTS.hist_every, help="steps per segment")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load_data(DEFAULTS)
    model = build_model(DEFAULTS, data.input_shape, data.n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=DEFAULTS.lr)
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, len(data.x_train), (args.steps, DEFAULTS.batch_size), generator=gen)
    batches = [(data.x_train[i], data.y_train[i]) for i in idx]
    variants = {
        "without instruments": (None, 0),
        f"instruments, defaults (every={DEFAULTS.log_every}, hist_every={DEFAULTS.hist_every})":
            (DEFAULTS.log_every, DEFAULTS.hist_every),
        "instruments, every=10, hist_every=50 (the scenarios')": (10, 50),
        "instruments, every=1, no histograms": (1, 0),
        "instruments, every=1, hist_every=1": (1, 1),
    }
    python_crc = record_writer.masked_crc32c
    print(f"model: digits MLP {DEFAULTS.depth}x{DEFAULTS.width} {DEFAULTS.activation}, batch "
          f"{DEFAULTS.batch_size}, 1 torch thread, torch {torch.__version__}, {platform.machine()}; "
          f"{args.repeats} interleaved repeats of {args.steps} steps, median")
    for crc in ("C", "pure Python"):
        if crc == "C" and not speed_up_event_writing():
            print("\n(google-crc32c not installed: C checksums skipped)")
            continue
        if crc == "pure Python":
            record_writer.masked_crc32c = python_crc
        rates = measure(model, opt, batches, variants, args.repeats)
        wall0, cpu0 = (statistics.median(r) for r in zip(*rates["without instruments"]))
        print(f"\nevent checksums in {crc}\n\n| variant | steps/s (wall) | overhead (wall) "
              "| overhead (CPU time) |\n|---|---|---|---|")
        for name, values in rates.items():
            wall, cpu = (statistics.median(r) for r in zip(*values))
            print(f"| {name} | {wall:,.0f} | {100 * (wall0 / wall - 1):+.1f} % "
                  f"| {100 * (cpu0 / cpu - 1):+.1f} % |")


def measure(model, opt, batches, variants, repeats: int) -> dict[str, list[tuple[float, float]]]:
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        writer = SummaryWriter(tmp, flush_secs=1)
        step = 0
        segment(model, opt, writer, batches[:50], step, None, 0)  # warm-up
        for r in range(repeats):
            names = list(variants)
            for name in names[r % len(names):] + names[: r % len(names)]:  # rotate the order
                every, hist_every = variants[name]
                rates[name].append(segment(model, opt, writer, batches, step, every, hist_every))
                step += len(batches)
        writer.close()
    return rates


if __name__ == "__main__":
    main()
