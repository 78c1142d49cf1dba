"""Write the benchmark log with TensorBoard's own writer: 10 scalar tags x N steps, plus
2 histogram tags every 100 steps (64 buckets). Cached: an existing complete log is reused.

    python -m benchmarks.make_big_log [FOLDER] [--steps 100000]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

SCALAR_TAGS = ("train/loss", "val/loss", "train/acc", "val/acc", "opt/lr", "grad_norm/total",
               "grad_norm/fc1", "grad_norm/fc2", "weight_norm/fc1", "update_ratio/fc1")
HIST_TAGS = ("act/fc1", "grad/fc1")
DEFAULT_DIR = Path(tempfile.gettempdir()) / "run-doctor-bench"


def _histogram(rng: np.random.Generator) -> summary_pb2.HistogramProto:
    x = rng.normal(size=1000)
    counts, edges = np.histogram(x, bins=64)
    return summary_pb2.HistogramProto(
        min=float(x.min()), max=float(x.max()), num=float(x.size), sum=float(x.sum()),
        sum_squares=float((x * x).sum()), bucket_limit=edges[1:].tolist(), bucket=counts.tolist(),
    )


def make_big_log(folder: Path = DEFAULT_DIR, steps: int = 100_000) -> Path:
    """The run folder holding the log (written once; reused when its marker file exists)."""
    run = Path(folder) / f"run_{steps}"
    done = run / "COMPLETE"
    if done.exists():
        return run
    run.mkdir(parents=True, exist_ok=True)
    for old in run.glob("events.out.tfevents.*"):
        old.unlink()
    rng = np.random.default_rng(0)
    writer = EventFileWriter(str(run), max_queue_size=1000, flush_secs=30)
    t0 = time.time()
    values = rng.random((steps, len(SCALAR_TAGS)), dtype=np.float32)
    for step in range(steps):
        for tag, value in zip(SCALAR_TAGS, values[step].tolist()):
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
            writer.add_event(event_pb2.Event(wall_time=t0 + step * 0.01, step=step, summary=summary))
        if step % 100 == 0:
            for tag in HIST_TAGS:
                value = summary_pb2.Summary.Value(tag=tag, histo=_histogram(rng))
                writer.add_event(event_pb2.Event(wall_time=t0 + step * 0.01, step=step,
                                                 summary=summary_pb2.Summary(value=[value])))
    writer.close()
    done.write_text(f"{steps} steps\n")
    return run


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    start = time.perf_counter()
    path = make_big_log(Path(args.folder), args.steps)
    size = sum(f.stat().st_size for f in path.glob("events.out.tfevents.*"))
    print(f"{path}: {size / 1e6:.1f} MB ({time.perf_counter() - start:.1f} s)")
