"""Rows per second: our reader vs tbparse vs TensorBoard's EventAccumulator, on one run of
10 scalar tags x 100,000 steps + 2 histogram tags every 100 steps (written once by
TensorBoard's own EventFileWriter, cached). Then the time to load a ~50 MB logdir of 10 runs,
from a folder (cold and cached) and as an uploaded zip.

    python -m benchmarks.reader_speed [FOLDER] [--steps 100000] [--skip-others]
"""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import time
import warnings
import zipfile
from pathlib import Path

from benchmarks.make_big_log import DEFAULT_DIR, make_big_log
from diagnostics import reader


def _ours(run: Path) -> int:
    reader.clear_cache()
    result = reader.load(run)
    return len(result.runs[0].scalars)


def _tbparse(run: Path) -> int:
    from tbparse import SummaryReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3's Pandas4Warning about inplace sort_values
        summary = SummaryReader(str(run), pivot=False, extra_columns={"wall_time"})
        scalars, _ = summary.scalars, summary.histograms
    return len(scalars)


def _event_accumulator(run: Path) -> int:
    from tensorboard.backend.event_processing import event_accumulator as ea

    keep_all = {k: 0 for k in (ea.SCALARS, ea.HISTOGRAMS, ea.TENSORS, ea.IMAGES, ea.AUDIO,
                               ea.COMPRESSED_HISTOGRAMS)}
    acc = ea.EventAccumulator(str(run), size_guidance=keep_all)
    acc.Reload()
    rows = [(tag, e.step, e.value, e.wall_time) for tag in acc.Tags()["scalars"] for e in acc.Scalars(tag)]
    for tag in acc.Tags()["histograms"]:
        acc.Histograms(tag)
    return len(rows)


def _time(fn, run: Path, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = fn(run)
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def _logdir_50mb(folder: Path) -> Path:
    """10 runs of 10 scalar tags x 10,000 steps (+ histograms), ~5.2 MB each."""
    source = make_big_log(folder, 10_000)
    logdir = folder / "logdir_50mb"
    for i in range(10):
        dest = logdir / f"run_{i}"
        if not dest.exists():
            dest.mkdir(parents=True)
            for f in source.glob("events.out.tfevents.*"):
                shutil.copy2(f, dest / f.name)
    return logdir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--skip-others", action="store_true", help="time only our reader")
    args = parser.parse_args()
    folder = Path(args.folder)
    run = make_big_log(folder, args.steps)
    size = sum(f.stat().st_size for f in run.glob("events.out.tfevents.*")) / 1e6
    print(f"log: {run} ({size:.1f} MB)\n")
    loaders = [("run-doctor reader (CRC checked)", _ours, 3)]
    if not args.skip_others:
        loaders += [("tbparse", _tbparse, 1), ("EventAccumulator (size_guidance 0)", _event_accumulator, 1)]
    results = {name: _time(fn, run, repeat) for name, fn, repeat in loaders}
    ours = results[loaders[0][0]][0]
    print("| loader | time (s) | scalar rows | rows/s | ours is x faster |")
    print("|---|---|---|---|---|")
    for name, (seconds, rows) in results.items():
        print(f"| {name} | {seconds:.2f} | {rows:,} | {rows / seconds:,.0f} | {seconds / ours:.1f} |")

    logdir = _logdir_50mb(folder)
    mb = sum(f.stat().st_size for f in logdir.rglob("events.out.tfevents.*")) / 1e6
    reader.clear_cache()
    start = time.perf_counter()
    result = reader.load(logdir)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    reader.load(logdir)
    warm = time.perf_counter() - start
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in logdir.rglob("events.out.tfevents.*"):
            zf.write(f, f.relative_to(logdir.parent).as_posix())
    start = time.perf_counter()
    uploaded = reader.load_uploads([("logdir_50mb.zip", buffer.getvalue())])
    upload = time.perf_counter() - start
    rows = sum(len(r.scalars) for r in result.runs)
    print(f"\n{mb:.0f} MB logdir, {len(result.runs)} runs, {rows:,} scalar rows:")
    print(f"  load(folder) cold {cold:.2f} s, cached re-open {warm * 1000:.1f} ms; "
          f"load_uploads(zip, {len(buffer.getvalue()) / 1e6:.0f} MB) {upload:.2f} s "
          f"({len(uploaded.runs)} runs)")


if __name__ == "__main__":
    main()
