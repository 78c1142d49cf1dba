"""Diagnose the quality grid's cached runs in each view and collect what fired.

Our own files are seen three ways (`MODES`): with every tag; with the instrument scalars hidden but
gradient/activation histograms kept (the rules' histogram paths); and with every instrument tag
hidden, i.e. what loss curves alone can do. Then each re-written naming style. Rules whose data a
view lacks (no per-layer data in a Hugging Face log) come back as not assessed: honest, not a miss.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import naming_styles
from benchmarks.quality_cache import run_dir, styles_dir
from benchmarks.quality_grid import Cell
from diagnostics.engine import diagnose
from diagnostics.messages import english
from diagnostics.reader import load
from diagnostics.rundata import RunData

INSTRUMENT_FAMILIES = {"grad_norm", "weight_norm", "update_ratio", "dead_frac", "act", "grad"}
HISTOGRAM_FAMILIES = {"act", "grad"}
# What each scoring mode hides: the instrument families not in its "keep" set.
MODES = {
    "all": ("All logged tags", INSTRUMENT_FAMILIES),
    "histograms": ("Histograms instead of instrument scalars (grad/act histograms, loss curves)",
                   HISTOGRAM_FAMILIES),
    "curves": ("Loss curves only (every instrument tag hidden)", set()),
}


def hide(run: RunData, keep: set[str]) -> RunData:
    """The run with the instrument families outside `keep` unmapped (as if never logged)."""
    drop = {orig: None for orig, canon in run.tag_map.items()
            if canon and canon.split("/", 1)[0] in INSTRUMENT_FAMILIES - keep}
    return run.with_mapping(drop)


# What the grid is scored as: our files in the three modes, then each re-written style.
VIEWS = (*MODES, *naming_styles.STYLES)


def view_title(view: str) -> str:
    if view in MODES:
        return f"Our tags — {MODES[view][0]}"
    return f"Re-written in {naming_styles.TITLES[view]}"


@dataclass
class Outcome:
    cell: Cell
    seed: int
    fired: dict[str, str]  # rule id -> the finding's message
    not_assessed: set[str]
    stats: str = ""  # what the run did (from our own files), for the failure list


def run_stats(run: RunData) -> str:
    """One line of what a run did, for the failure list: train loss first -> last epoch
    (means of the logged batch values), final train/val accuracy, val loss min and last."""
    from benchmarks.naming_styles import epoch_means, points, steps_per_epoch

    spe = steps_per_epoch(run)
    parts = []
    raw = points(run, "train/loss")
    loss = epoch_means(raw, spe)
    if len(loss) >= 1:
        first = float(raw["value"].iloc[0])
        a, b = float(loss["value"].iloc[0]), float(loss["value"].iloc[-1])
        pct = f" ({100 * b / first:.0f} % of the first)" if first and np.isfinite(b) else ""
        parts.append(f"train loss first {first:.3g}, epoch means {a:.3g} → {b:.3g}{pct}")
    acc = epoch_means(points(run, "train/acc"), spe)
    if len(acc):
        parts.append(f"train acc (last epoch) {float(acc['value'].iloc[-1]):.2f}")
    val = points(run, "val/loss")["value"]
    if len(val):
        parts.append(f"val loss min {val.min():.3g} last {val.iloc[-1]:.3g}")
    vacc = points(run, "val/acc")["value"]
    if len(vacc):
        parts.append(f"val acc {vacc.iloc[-1]:.2f}")
    return ", ".join(parts)


def _outcome(cell: Cell, seed: int, run: RunData, stats: str) -> Outcome:
    report = diagnose(run)
    return Outcome(cell, seed, {f.rule_id: english(f.message) for f in report.findings},
                   {n.rule_id for n in report.not_assessed}, stats)


def _score_one(job) -> list[tuple[str, Outcome]]:
    cell, seed, folder, styled, views = job
    ours = load(folder).runs[0]
    stats = run_stats(ours)
    out = [(view, _outcome(cell, seed, hide(ours, MODES[view][1]), stats))
           for view in views if view in MODES]
    for view in views:
        if view in MODES or styled is None:
            continue
        runs = load(Path(styled) / view).runs
        if len(runs) != 1:
            raise RuntimeError(f"{styled}/{view}: expected one run, read {len(runs)}")
        out.append((view, _outcome(cell, seed, runs[0], stats)))
    return out


def diagnose_grid(cache: Path, cells, seeds, views=VIEWS, *, any_trainer: bool = False,
                  jobs: int = 1) -> dict[str, list[Outcome]]:
    """view -> outcomes; the styles need `ensure_styled` first (runs without them are left
    out of the styles' views)."""
    todo = []
    for cell in cells:
        for seed in seeds:
            folder = run_dir(cache, cell, seed, any_trainer=any_trainer)
            if folder is None:
                continue
            styled = styles_dir(folder, any_version=any_trainer)
            todo.append((cell, seed, str(folder), str(styled) if styled else None, tuple(views)))
    results: dict[str, list[Outcome]] = {v: [] for v in views}
    if jobs > 1:
        os.environ["OMP_NUM_THREADS"] = "1"
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_score_one, todo, chunksize=4))
    else:
        done = [_score_one(job) for job in todo]
    for pairs in done:
        for view, outcome in pairs:
            results[view].append(outcome)
    return results
