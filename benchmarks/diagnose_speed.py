"""Diagnosis speed after loading (`engine.diagnose` on a loaded `RunData`), and CLI start-up.

Logs are written once with torch's own `SummaryWriter` (one event per step, as our trainer
writes them) and cached under FOLDER; each case is loaded once, then diagnosed `--repeats`
times on a fresh copy of the run (nothing computed by an earlier diagnosis is reused) and the
minimum is reported. Cases:
- one run of 10 scalar tags at each of `--sizes` points (cost should grow linearly);
- a logdir of `--runs` runs x 5 tags x 1,000 steps (one run written, its file copied);
- a histogram-heavy run: 100 `grad/*` + 100 `act/*` histograms (64 buckets) x 2,000 steps,
  plus train/loss (`--skip-histograms` leaves it out: it takes ~1 min to write the first time);
- `python -m diagnostics --help` in a fresh interpreter (min of 5).
"rows" counts scalar rows plus histogram bucket rows. First use writes ~0.8 GB of logs (the
histogram log is 420 MB and takes ~1 min to write, ~40 s to load); later runs reuse them.

    python -m benchmarks.diagnose_speed [FOLDER] [--sizes 10000,100000,1000000,5000000]
                                        [--runs 1000] [--repeats 3] [--skip-histograms]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.make_big_log import DEFAULT_DIR

SCALAR_TAGS = ("train/loss", "val/loss", "train/acc", "val/acc", "opt/lr", "grad_norm/total",
               "grad_norm/fc1", "grad_norm/fc2", "weight_norm/fc1", "dead_frac/act1")
FEW_TAGS = SCALAR_TAGS[:4] + ("grad_norm/total",)  # the many-runs logdir: 5 tags
HIST_LAYERS, HIST_STEPS, HIST_BINS, HIST_VALUES = 100, 2_000, 64, 256
REPO = Path(__file__).resolve().parents[1]


# ---- writing the logs (once; a COMPLETE marker says a folder is done) ---------------------
def _writer(folder: Path):
    from torch.utils.tensorboard import SummaryWriter

    from trainers.hooks import speed_up_event_writing
    speed_up_event_writing()  # C checksums: same bytes, written faster
    return SummaryWriter(str(folder), max_queue=1000, flush_secs=60)


def _curves(steps: int, tags: tuple[str, ...], seed: int = 0) -> np.ndarray:
    """Plausible curves (a falling loss, a rising accuracy, noisy norms), one column per tag."""
    rng = np.random.default_rng(seed)
    s = np.arange(steps) / max(steps, 1)
    noise = rng.standard_normal((steps, len(tags)))
    loss = 0.2 + 2.1 * np.exp(-5 * s)
    shapes = {"train/loss": loss * np.exp(0.05 * noise[:, 0]), "val/loss": loss * 1.1,
              "train/acc": 1 - loss / 2.5, "val/acc": 1 - loss / 2.3,
              "opt/lr": 0.05 * (1 + np.cos(np.pi * s)) + 1e-4,
              "weight_norm/fc1": 10 + s, "dead_frac/act1": np.clip(0.05 + 0.01 * noise[:, -1], 0, 1)}
    return np.stack([shapes.get(t, np.exp(0.3 * noise[:, i])) for i, t in enumerate(tags)], axis=1)


def _write_scalars(folder: Path, steps: int, tags: tuple[str, ...]) -> Path:
    from trainers.hooks import write_scalars
    done = folder / "COMPLETE"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    writer = _writer(folder)
    for step, row in enumerate(_curves(steps, tags).tolist()):
        write_scalars(writer, step, dict(zip(tags, row)))
    writer.close()
    done.write_text(f"{steps} steps x {len(tags)} tags\n")
    return folder


def _many_runs(root: Path, runs: int) -> Path:
    """`runs` copies of one 5-tag x 1,000-step run, one folder each."""
    logdir = root / f"logdir_{runs}x5000"
    if (logdir / "COMPLETE").exists():
        return logdir
    shutil.rmtree(logdir, ignore_errors=True)
    template = _write_scalars(root / "run_5x1000", 1_000, FEW_TAGS)
    event = next(template.glob("events.out.tfevents.*"))
    for i in range(runs):
        (logdir / f"run_{i:04d}").mkdir(parents=True)
        shutil.copyfile(event, logdir / f"run_{i:04d}" / event.name)
    (logdir / "COMPLETE").write_text(f"{runs} runs\n")
    return logdir


def _histograms(values: np.ndarray) -> list:
    """One HistogramProto per row, as `trainers.hooks` writes them (64 equal-width bins, the
    leading empty bucket carrying the left edge), counted for all rows at once."""
    from tensorboard.compat.proto.summary_pb2 import HistogramProto
    lo, hi = values.min(axis=1), values.max(axis=1)
    top = np.where(hi > lo, hi, lo + np.maximum(1e-6, np.abs(lo) * 1e-5))
    index = ((values - lo[:, None]) * (HIST_BINS / (top - lo))[:, None]).astype(np.int64)
    index = np.minimum(index, HIST_BINS - 1) + HIST_BINS * np.arange(len(values))[:, None]
    counts = np.bincount(index.ravel(), minlength=HIST_BINS * len(values)).reshape(len(values), -1)
    sums, squares = values.sum(axis=1), (values * values).sum(axis=1)
    return [HistogramProto(min=float(lo[i]), max=float(hi[i]), num=values.shape[1], sum=float(sums[i]),
                           sum_squares=float(squares[i]),
                           bucket_limit=np.linspace(lo[i], top[i], HIST_BINS + 1).tolist(),
                           bucket=[0, *counts[i].tolist()]) for i in range(len(values))]


def _histogram_run(root: Path) -> Path:
    from trainers.hooks import write_histograms, write_scalars
    folder = root / f"hist_{2 * HIST_LAYERS}x{HIST_STEPS}"
    if (folder / "COMPLETE").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    tags = [f"grad/layer{i}" for i in range(HIST_LAYERS)] + [f"act/relu{i}" for i in range(HIST_LAYERS)]
    rng = np.random.default_rng(0)
    shift = np.r_[np.zeros(HIST_LAYERS), np.linspace(-2, 1, HIST_LAYERS)][:, None]  # some dying units
    scale = np.r_[np.logspace(-1, -4, HIST_LAYERS), np.ones(HIST_LAYERS)][:, None]
    loss = _curves(HIST_STEPS, ("train/loss",))[:, 0]
    writer = _writer(folder)
    for step in range(HIST_STEPS):
        values = rng.standard_normal((len(tags), HIST_VALUES)) * scale + shift
        values[HIST_LAYERS:] = np.maximum(values[HIST_LAYERS:], 0)  # post-ReLU
        write_histograms(writer, step, dict(zip(tags, _histograms(values.astype(np.float32)))))
        write_scalars(writer, step, {"train/loss": float(loss[step])})
    writer.close()
    (folder / "COMPLETE").write_text(f"{len(tags)} histogram tags x {HIST_STEPS} steps\n")
    return folder


# ---- measuring --------------------------------------------------------------------------
def _fresh(run):
    """The same rows in new frame objects: nothing an earlier diagnosis cached applies."""
    return dataclasses.replace(run, scalars=run.scalars.copy(deep=False),
                               histograms=run.histograms.copy(deep=False))


def _diagnose_time(path: Path, repeats: int) -> tuple[float, float, int, int]:
    """(min wall and CPU seconds to diagnose every run of `path`, runs, rows) after loading
    it once. CPU time is given too: on a shared machine it is the steadier of the two."""
    from diagnostics import reader
    from diagnostics.engine import diagnose
    runs = reader.load(path).runs
    rows = sum(len(r.scalars) + len(r.histograms) for r in runs)
    wall = cpu = float("inf")
    for _ in range(repeats):
        fresh = [_fresh(r) for r in runs]
        start, start_cpu = time.perf_counter(), time.process_time()
        for run in fresh:
            diagnose(run)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    reader.clear_cache()
    return wall, cpu, len(runs), rows


def _help_time(repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "diagnostics", "--help"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--sizes", default="10000,100000,1000000,5000000",
                        help="points of the one-run cases (10 tags each)")
    parser.add_argument("--runs", type=int, default=1_000, help="runs in the many-runs logdir")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-histograms", action="store_true")
    args = parser.parse_args()
    root = Path(args.folder)
    cases = [(f"one run, {int(n):,} points", root / f"scalars_{int(n)}", int(n))
             for n in args.sizes.split(",") if n]
    cases = [(name, _write_scalars(folder, n // len(SCALAR_TAGS), SCALAR_TAGS), n)
             for name, folder, n in cases]
    if args.runs:
        cases.append((f"{args.runs:,} runs x 5,000 points", _many_runs(root, args.runs), 0))
    if not args.skip_histograms:
        cases.append(("histograms: 200 tags x 2,000 steps", _histogram_run(root), 0))
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f}, min of {args.repeats}\n")
    print("| case | runs | rows | diagnose (s) | CPU (s) | ns per row |\n|---|---|---|---|---|---|")
    for name, path, _ in cases:
        wall, cpu, runs, rows = _diagnose_time(path, args.repeats)
        print(f"| {name} | {runs:,} | {rows:,} | {wall:.3f} | {cpu:.3f} | {1e9 * wall / rows:.0f} |",
              flush=True)
    print(f"| `python -m diagnostics --help` (fresh interpreter) | | | {_help_time():.3f} | | |")


if __name__ == "__main__":
    main()
