"""What following a runs folder costs a page that is open but still: `ui.watch.state_now` every 3 s.

    python -m benchmarks.watch_cost [--runs 200] [--files 10]

Builds a runs root of RUNS run folders with FILES files each (event files written by torch's
SummaryWriter, plus config/status files as our trainer leaves them), then times `state()` —
the runs list plus the picked folders' sizes and mtimes — with 1 and with 10 runs picked.
Median of 30 calls, warm file-system cache (the case of a page left open).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def build(root: Path, runs: int, files: int) -> None:
    from torch.utils.tensorboard import SummaryWriter

    for r in range(runs):
        folder = root / f"run-{r:04d}"
        for f in range(max(1, files - 2)):
            writer = SummaryWriter(str(folder), filename_suffix=f".{f}")
            writer.add_scalar("train/loss", 1.0, 0)
            writer.close()
        (folder / "config.json").write_text("{}")
        (folder / "status.json").write_text("{}")


def timed(fn, repeats: int = 30) -> float:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    from ui import watch

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.runs, args.files)
        folders = sorted(p.name for p in root.iterdir())
        print(f"runs root: {args.runs} runs × {args.files} files")
        for picked in (1, 10):
            seconds = timed(lambda: watch.state_now(root, folders[:picked]))
            print(f"state() with {picked:>2} picked: {1000 * seconds:.2f} ms per check "
                  f"({100 * seconds / watch.EVERY_S:.2f} % of one core at one check per {watch.EVERY_S:g} s)")


if __name__ == "__main__":
    main()
