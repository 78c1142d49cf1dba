"""Memory while following a run that keeps growing: the reader's cache holds one version per
run folder, so re-reading a growing log does not pile up copies.

    python -m benchmarks.follow_memory [--steps 100000] [--looks 30]

Copies the benchmark log (benchmarks/make_big_log.py: 10 tags x STEPS steps + histograms) into
a temp run folder (fresh mtime: a live run), then LOOKS times: appends one more event (as a
training run does between two looks of the page) and loads the folder again. Prints the
process's resident memory after the first load and after the last, how many versions the
reader's cache holds, and the time per look.
"""
from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from benchmarks.make_big_log import make_big_log
from diagnostics import reader


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--looks", type=int, default=30)
    args = parser.parse_args()
    source = make_big_log(steps=args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "growing"
        shutil.copytree(source, run, copy_function=shutil.copyfile)  # fresh mtime: a live run
        (log,) = run.glob("*tfevents*")
        reader.load(run)
        first = rss_mb()
        t0 = time.perf_counter()
        for look in range(args.looks):
            with open(log, "ab") as fh:  # the trainer logs one more step
                fh.write(_record(args.steps + look))
            reader.load(run)
        per_look = (time.perf_counter() - t0) / args.looks
        print(f"log: {log.stat().st_size / 1e6:.1f} MB; after the first load {first:.0f} MB resident; "
              f"after {args.looks} more looks at a growing run {rss_mb():.0f} MB; "
              f"{len(reader._cache)} version(s) cached; {per_look:.2f} s per look")  # noqa: SLF001


def _record(step: int) -> bytes:
    """One framed scalar event, written now, as TensorBoard's writer frames it."""
    buf = io.BytesIO()
    event = event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="train/loss", simple_value=0.5)]))
    RecordWriter(buf).write(event.SerializeToString())
    return buf.getvalue()


if __name__ == "__main__":
    main()
