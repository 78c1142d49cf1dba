"""Train the quality grid's runs and re-write them in other programs' names, cached on disk.

The trainer is seeded, so a cached run is re-scored for free; a cell is re-trained only when its
definition or the trainer's code changes (`Cell.key`). The re-writes (`benchmarks/naming_styles.py`)
sit beside each run, keyed by the re-writer's code.
"""
from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks import naming_styles
from benchmarks.quality_grid import Cell
from diagnostics.reader import load

DEFAULT_CACHE = Path(".cache/quality")  # not under runs/: that is the UI's runs root


def _train_one(job: tuple[Cell, int, str]) -> tuple[str, int, str, float]:
    cell, seed, folder = job
    from trainers import models
    from trainers.config import TrainConfig
    from trainers.loop import train

    old = {k: getattr(models, k) for k in cell.patch}
    start = time.time()
    try:
        for k, v in cell.patch.items():
            setattr(models, k, v)  # fault strength the config has no field for
        result = train(TrainConfig(**cell.overrides, seed=seed), folder, progress=False,
                       run_name=cell.name)
    finally:
        for k, v in old.items():
            setattr(models, k, v)
    return cell.name, seed, result.state, time.time() - start


def run_dir(cache: Path, cell: Cell, seed: int, *, any_trainer: bool = False) -> Path | None:
    """The finished cached run of a cell and seed, or None. `any_trainer`: also runs made by
    an older trainer (newest first) — for re-scoring while the trainer is being changed."""
    pattern = f"{cell.name}-*/s{seed}/*/status.json" if any_trainer else \
        f"{cell.key()}/s{seed}/*/status.json"
    for status in sorted(cache.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True):
        if json.loads(status.read_text()).get("state") not in ("running", "failed", "stopped"):
            return status.parent
    return None


def ensure_trained(cache: Path, cells, seeds, jobs: int) -> None:
    todo = []
    for cell in cells:
        for seed in seeds:
            if run_dir(cache, cell, seed) is None:
                folder = cache / cell.key() / f"s{seed}"
                for stale in folder.glob("*"):  # an interrupted run: start it again
                    _remove(stale)
                todo.append((cell, seed, str(folder)))
    if not todo:
        return
    print(f"training {len(todo)} runs on {jobs} processes ...", file=sys.stderr)
    os.environ["OMP_NUM_THREADS"] = "1"  # tiny models: one thread per process is fastest
    t0 = time.time()
    with ProcessPoolExecutor(jobs) as pool:
        for i, (name, seed, state, secs) in enumerate(pool.map(_train_one, todo), 1):
            print(f"  [{i}/{len(todo)}] {name} s{seed}: {state} ({secs:.1f}s)", file=sys.stderr)
    print(f"trained in {time.time() - t0:.0f}s", file=sys.stderr)


def _remove(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            _remove(child)
        path.rmdir()
    else:
        path.unlink()


# ---- the same runs in other programs' names (benchmarks/naming_styles.py) ----------------
def styles_dir(folder: Path, *, any_version: bool = False) -> Path | None:
    """The finished re-writes of one trained run (`<style>/` folders), or None. They sit
    beside the run, keyed by a digest of the re-writer; `any_version`: the newest of any."""
    if not any_version:
        styled = folder.parent / f"styles-{naming_styles.version()}"
        return styled if (styled / "done").is_file() else None
    done = sorted(folder.parent.glob("styles-*/done"), key=lambda p: p.stat().st_mtime)
    return done[-1].parent if done else None


def _style_one(folder: str) -> tuple[str, float]:
    start = time.time()
    run = load(folder).runs[0]
    styled = Path(folder).parent / f"styles-{naming_styles.version()}"
    for old in Path(folder).parent.glob("styles-*"):
        _remove(old)  # an interrupted re-write, or one by an older re-writer
    for style in naming_styles.STYLES:
        naming_styles.rewrite(run, styled / style, style)
    (styled / "done").write_text("")
    return folder, time.time() - start


def ensure_styled(cache: Path, cells, seeds, jobs: int, *, any_trainer: bool = False) -> None:
    todo = [str(folder) for cell in cells for seed in seeds
            if (folder := run_dir(cache, cell, seed, any_trainer=any_trainer)) is not None
            and styles_dir(folder) is None]
    if not todo:
        return
    print(f"re-writing {len(todo)} runs in {len(naming_styles.STYLES)} naming styles on {jobs} "
          f"processes ...", file=sys.stderr)
    os.environ["OMP_NUM_THREADS"] = "1"
    t0 = time.time()
    with ProcessPoolExecutor(jobs) as pool:
        for _ in pool.map(_style_one, todo, chunksize=4):
            pass
    print(f"re-written in {time.time() - t0:.0f}s", file=sys.stderr)

