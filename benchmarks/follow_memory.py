"""Memory while following a run that keeps growing: the reader's cache holds one version per
run folder, so re-reading a growing log does not pile up copies.

    python -m benchmarks.follow_memory [--steps 100000] [--looks 30]

Copies the benchmark log (benchmarks/make_big_log.py: 10 tags x STEPS steps + histograms) into
a temp run folder, then LOOKS times: appends one more event (as a training run does between
two looks of the page) and loads the folder again. Prints the process's resident memory after
the first load and after the last, and how many versions the reader's cache holds.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

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
        shutil.copytree(source, run)
        (log,) = run.glob("*tfevents*")
        record = _last_record(log.read_bytes())  # a complete record: appending it grows the run
        reader.load(run)
        first = rss_mb()
        t0 = time.perf_counter()
        for _ in range(args.looks):
            with open(log, "ab") as fh:
                fh.write(record)
            reader.load(run)
        per_look = (time.perf_counter() - t0) / args.looks
        print(f"log: {log.stat().st_size / 1e6:.1f} MB; after the first load {first:.0f} MB resident; "
              f"after {args.looks} more looks at a growing run {rss_mb():.0f} MB; "
              f"{len(reader._cache)} version(s) cached; {per_look:.2f} s per look")  # noqa: SLF001


def _last_record(data: bytes) -> bytes:
    """The file's last TFRecord (length, length crc, payload, payload crc), found by walking."""
    pos, start = 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 8], "little")
        start, pos = pos, pos + 12 + length + 4
    return data[start:]


if __name__ == "__main__":
    main()
