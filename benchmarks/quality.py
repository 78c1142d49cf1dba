"""How well do the rules diagnose? Train a labelled grid of fault-injected runs and score them.

    python -m benchmarks.quality                 # train what is not cached, score, print tables
    python -m benchmarks.quality --jobs 2 --cache .cache/quality --seeds 0 1 2
    python -m benchmarks.quality --seeds 0 1 2 3 4 5 6 7 8 9 10 11 --jobs 2   # the full grid
    python -m benchmarks.quality --views all keras --details              # some views, tables

The pieces: the labelled cells (`quality_grid`), training and re-writing them, cached
(`quality_cache`), diagnosing each view (`quality_views`), scoring and tables (`quality_score`).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks.quality_cache import DEFAULT_CACHE, ensure_styled, ensure_trained, run_dir
from benchmarks.quality_grid import GRID
from benchmarks.quality_score import format_summary, format_table, grouped_failures, score
from benchmarks.quality_views import MODES, VIEWS, diagnose_grid, view_title

DEFAULT_SEEDS = (0, 1, 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cells", nargs="*", help="only these cells (names)")
    ap.add_argument("--views", nargs="+", choices=VIEWS, default=list(VIEWS),
                    help="what to score: our tags in the three modes and/or re-written styles")
    ap.add_argument("--no-train", action="store_true",
                    help="score the cached runs as they are, even if an older trainer made them")
    ap.add_argument("--details", action="store_true",
                    help="also print the per-view tables (TP/FP/FN/not assessed)")
    args = ap.parse_args(argv)
    cells = [c for c in GRID if not args.cells or c.name in args.cells]
    if not args.no_train:
        ensure_trained(args.cache, cells, args.seeds, args.jobs)
    stale = args.no_train
    if any(v not in MODES for v in args.views):
        ensure_styled(args.cache, cells, args.seeds, args.jobs, any_trainer=stale)
    total = sum(run_dir(args.cache, c, s, any_trainer=stale) is not None
                for c in cells for s in args.seeds)
    t0 = time.time()
    results = diagnose_grid(args.cache, cells, args.seeds, args.views, any_trainer=stale,
                            jobs=args.jobs)
    print(f"diagnosed in {time.time() - t0:.0f}s", file=sys.stderr)
    print(f"{total} runs: {len(cells)} cells x {len(args.seeds)} seeds, each scored in "
          f"{len(args.views)} views\n")
    tables = {view: score(outcomes) for view, outcomes in results.items()}
    print("### F1 per rule and view; healthy runs with any finding\n")
    print(format_summary(tables) + "\n")
    if args.details:
        for view in results:
            print(format_table(tables[view], view_title(view)) + "\n")
    for view, outcomes in results.items():
        lines = grouped_failures(outcomes)
        print(f"Failing cases ({view}; misses only because a rule could not assess are left "
              f"out): {sum(not line.startswith(' ') for line in lines)} cell/rule groups")
        for line in lines:
            print("  - " + line if not line.startswith(" ") else "  " + line)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
