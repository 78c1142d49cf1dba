"""How well do the rules diagnose? Train a labelled grid of fault-injected runs and score them.

    python -m benchmarks.quality                 # train what is not cached, score, print tables
    python -m benchmarks.quality --jobs 2 --cache .cache/quality --seeds 0 1 2

Each grid cell is one problem at one strength (a config override of our trainer, sometimes a
patched fault constant such as the ReLU bias), trained for several seeds. Cells are labelled by
construction, honestly, per rule:
- must:     the fault injected; the rule has to fire (recall counts these);
- may:      a legitimate side effect (exploding gradients usually end in divergence; a net whose
            ReLUs died also underfits) — firing or not is not scored;
- must-not: every other rule. Precision counts fires on must + must-not only.
Healthy cells (several widths, optimisers, learning rates, a CNN, ...) have every rule in
must-not; their false-alarm rate is the share of healthy runs with ANY finding. A "contained"
cell injects a fault together with its fix (overfitting under early stopping): every rule is
must-not there too, but it is not counted as healthy.

The trained grid is cached on disk (the trainer is seeded, so re-scoring is free); a cell is
re-trained only when its definition changes. The same runs are scored three ways: with every
tag; with the instrument scalars hidden but gradient/activation histograms kept (the rules'
histogram paths); and with every instrument tag hidden, i.e. what loss curves alone can do —
rules that need the instruments then show as not assessed ("n/a").
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from diagnostics.engine import diagnose
from diagnostics.model import Finding
from diagnostics.reader import load
from diagnostics.remedies import DIAGNOSIS_ORDER
from diagnostics.rundata import RunData

RULE_IDS = DIAGNOSIS_ORDER
INSTRUMENT_FAMILIES = {"grad_norm", "weight_norm", "update_ratio", "dead_frac", "act", "grad"}
HISTOGRAM_FAMILIES = {"act", "grad"}
# What each scoring mode hides: the instrument families not in its "keep" set.
MODES = {
    "all": ("All logged tags", INSTRUMENT_FAMILIES),
    "histograms": ("Histograms instead of instrument scalars (grad/act histograms, loss curves)",
                   HISTOGRAM_FAMILIES),
    "curves": ("Loss curves only (every instrument tag hidden)", set()),
}
DEFAULT_CACHE = Path(".cache/quality")  # not under runs/: that is the UI's runs root
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Cell:
    name: str
    problem: str  # "healthy" or the rule id injected
    overrides: dict[str, Any]
    must: tuple[str, ...] = ()
    may: tuple[str, ...] = ()
    patch: dict[str, float] = field(default_factory=dict)  # trainers.models constants

    @property
    def must_not(self) -> tuple[str, ...]:
        return tuple(r for r in RULE_IDS if r not in self.must and r not in self.may)

    def key(self) -> str:
        spec = json.dumps([self.overrides, self.patch, _trainer_version()], sort_keys=True)
        return f"{self.name}-{hashlib.sha1(spec.encode()).hexdigest()[:8]}"


@lru_cache(maxsize=1)
def _trainer_version() -> str:
    """A digest of the trainer's code: a changed trainer re-trains the grid (stale runs lie)."""
    root = Path(__file__).resolve().parents[1] / "trainers"
    digest = hashlib.sha1()
    for name in ("config.py", "data.py", "hooks.py", "loop.py", "models.py"):  # what a run is
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:12]


def _h(name: str, **o: Any) -> Cell:
    return Cell(name, "healthy", dict(DENSE, **o))


# Logging as in trainers/scenarios.py (short runs); SPARSE cells keep the trainer's defaults
# (every 50 steps: ~10 train points for a 20-epoch digits run) to check the rules cope.
DENSE = dict(log_every=10, hist_every=50)
SPARSE = dict(log_every=50, hist_every=100, min_loss_points=0)
# Shared fault recipes (see trainers/scenarios.py for why each provokes its problem).
OVERFIT = dict(width=256, epochs=80, log_every=5, hist_every=50)
OSC = dict(activation="tanh", optimizer="sgd", momentum=0.9, epochs=20, log_every=5,
           hist_every=50)
DEAD = dict(DENSE, init="bad_negative_bias", epochs=15)
VANISH = dict(DENSE, init="tiny_std", activation="sigmoid", optimizer="sgd", lr=0.1, epochs=15)
EXPLODE = dict(init="huge_std", activation="leaky_relu", optimizer="sgd", momentum=0.9,
               epochs=10, log_every=1, hist_every=50)
DIVERGE = dict(DENSE, optimizer="sgd", epochs=5)
UNDER_MSE = dict(DENSE, activation="sigmoid", loss="mse", optimizer="sgd", depth=1, width=16,
                 epochs=15)

GRID: tuple[Cell, ...] = (
    # -- healthy: different widths, depths, optimisers, learning rates, models
    _h("healthy"),
    _h("healthy_w32", width=32),
    _h("healthy_w128_d3", width=128, depth=3),
    _h("healthy_adam_3e-4", lr=3e-4, epochs=30),
    _h("healthy_sgd_mom", optimizer="sgd", lr=0.05, momentum=0.9),
    _h("healthy_rmsprop", optimizer="rmsprop", lr=5e-4),
    _h("healthy_tanh", activation="tanh"),
    _h("healthy_bn_dropout", batch_norm=True, dropout=0.2),
    _h("healthy_cnn", model="cnn", width=16, epochs=10),
    _h("healthy_bs128_cosine", batch_size=128, lr=2e-3, lr_schedule="cosine"),
    _h("healthy_sgd_lr0.1", optimizer="sgd", lr=0.1),
    _h("healthy_sigmoid_d2", activation="sigmoid"),
    _h("healthy_moons", dataset="moons"),
    _h("healthy_circles", dataset="circles"),
    _h("healthy_blobs", dataset="blobs"),
    _h("healthy_sparse_log", **SPARSE),
    _h("healthy_moons_sparse_log", dataset="moons", **SPARSE),
    # -- overfitting: fewer samples / more label noise / a CNN
    Cell("overfit_n200_noise30", "overfitting", dict(OVERFIT, train_size=200, label_noise=0.3),
         must=("overfitting",)),
    Cell("overfit_n100_noise20", "overfitting", dict(OVERFIT, train_size=100, label_noise=0.2),
         must=("overfitting",)),
    Cell("overfit_n400_noise30", "overfitting", dict(OVERFIT, train_size=400, label_noise=0.3),
         must=("overfitting",)),
    Cell("overfit_cnn", "overfitting", dict(OVERFIT, model="cnn", width=32, train_size=200,
                                            label_noise=0.3, epochs=60, lr=3e-3),
         must=("overfitting",)),
    # the same fault with early stopping: the delivered model is the best checkpoint, so the
    # rise in the patience window is contained, not a finding (every rule is must-not)
    Cell("overfit_n200_noise30_early_stop", "contained",
         dict(OVERFIT, train_size=200, label_noise=0.3, early_stopping_patience=5)),
    # -- underfitting: MSE through softmax at several learning rates; a far too small SGD lr
    Cell("under_mse_lr0.3", "underfitting", dict(UNDER_MSE, lr=0.3), must=("underfitting",)),
    Cell("under_mse_lr1", "underfitting", dict(UNDER_MSE, lr=1.0), must=("underfitting",)),
    Cell("under_sgd_lr1e-3", "underfitting", dict(DENSE, optimizer="sgd", lr=1e-3, epochs=15),
         must=("underfitting",)),
    Cell("under_sgd_lr3e-3_short", "underfitting", dict(DENSE, optimizer="sgd", lr=3e-3,
                                                        epochs=5),
         must=("underfitting",)),
    Cell("under_mse_sparse_log", "underfitting", dict(UNDER_MSE, lr=1.0, **SPARSE),
         must=("underfitting",)),
    # -- lr oscillation: SGD + momentum on tanh at several learning rates; MLPs and a CNN
    # (lr 0.5 was tried and dropped: the MLP converges there, so it is not an oscillation cell)
    Cell("osc_lr1", "lr_oscillation", dict(OSC, lr=1.0), must=("lr_oscillation",),
         may=("underfitting", "overfitting")),
    Cell("osc_lr1.5", "lr_oscillation", dict(OSC, lr=1.5), must=("lr_oscillation",),
         may=("underfitting", "overfitting")),
    Cell("osc_lr2", "lr_oscillation", dict(OSC, lr=2.0), must=("lr_oscillation",),
         may=("underfitting", "overfitting")),
    Cell("osc_d3_lr1", "lr_oscillation", dict(OSC, depth=3, lr=1.0), must=("lr_oscillation",),
         may=("underfitting", "overfitting")),
    Cell("osc_cnn_lr0.7", "lr_oscillation", dict(OSC, model="cnn", width=16, epochs=10, lr=0.7),
         must=("lr_oscillation",), may=("underfitting", "overfitting")),
    Cell("osc_lr1_sparse_log", "lr_oscillation", dict(OSC, lr=1.0, **SPARSE),
         must=("lr_oscillation",), may=("underfitting", "overfitting")),
    # -- dead ReLUs: bias magnitude and depth
    Cell("dead_bias-3_d1", "dead_relu", dict(DEAD, depth=1), must=("dead_relu",),
         may=("underfitting",)),
    Cell("dead_bias-2_d2", "dead_relu", dict(DEAD, depth=2), must=("dead_relu",),
         may=("underfitting",), patch={"NEGATIVE_BIAS": -2.0}),
    Cell("dead_bias-4_d1", "dead_relu", dict(DEAD, depth=1), must=("dead_relu",),
         may=("underfitting",), patch={"NEGATIVE_BIAS": -4.0}),
    Cell("dead_bias-3_d3", "dead_relu", dict(DEAD, depth=3), must=("dead_relu",),
         may=("underfitting",)),
    # -- vanishing gradients: depth of the tiny-init sigmoid stack
    Cell("vanish_d4", "vanishing_gradient", dict(VANISH, depth=4),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d6", "vanishing_gradient", dict(VANISH, depth=6),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d8", "vanishing_gradient", dict(VANISH, depth=8),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d10_adam", "vanishing_gradient", dict(VANISH, depth=10, optimizer="adam",
                                                       lr=1e-3),
         must=("vanishing_gradient",), may=("underfitting",)),
    # -- exploding gradients (ending in divergence, which is legitimate), depth x lr
    Cell("explode_d4_lr3e-3", "exploding_gradient", dict(EXPLODE, depth=4, lr=0.003),
         must=("exploding_gradient",), may=("divergence", "lr_oscillation", "underfitting")),
    Cell("explode_d3_lr1e-2", "exploding_gradient", dict(EXPLODE, depth=3, lr=0.01),
         must=("exploding_gradient",), may=("divergence", "lr_oscillation", "underfitting")),
    Cell("explode_d6_lr1e-3", "exploding_gradient", dict(EXPLODE, depth=6, lr=0.001),
         must=("exploding_gradient",), may=("divergence", "lr_oscillation", "underfitting")),
    # -- divergence from a far too high learning rate with a sane init (leaky/ELU units cannot
    # die, so the run blows up instead of going quiet; plain ReLU at lr 20 just dies)
    Cell("diverge_leaky_lr5", "divergence", dict(DIVERGE, activation="leaky_relu", lr=5.0),
         must=("divergence",), may=("exploding_gradient", "lr_oscillation", "underfitting")),
    Cell("diverge_leaky_mom_lr1", "divergence", dict(DIVERGE, activation="leaky_relu", lr=1.0,
                                                     momentum=0.95),
         must=("divergence",), may=("exploding_gradient", "lr_oscillation", "underfitting")),
    Cell("diverge_elu_lr3", "divergence", dict(DIVERGE, activation="elu", lr=3.0),
         must=("divergence",), may=("exploding_gradient", "lr_oscillation", "underfitting")),
)


# ---- training (cached) -------------------------------------------------------------------
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


# ---- scoring ----------------------------------------------------------------------------
def hide(run: RunData, keep: set[str]) -> RunData:
    """The run with the instrument families outside `keep` unmapped (as if never logged)."""
    drop = {orig: None for orig, canon in run.tag_map.items()
            if canon and canon.split("/", 1)[0] in INSTRUMENT_FAMILIES - keep}
    return run.with_mapping(drop)


@dataclass
class Outcome:
    cell: Cell
    seed: int
    fired: dict[str, Finding]
    not_assessed: set[str]


def diagnose_grid(cache: Path, cells, seeds, keep: set[str] = INSTRUMENT_FAMILIES, *,
                  any_trainer: bool = False) -> list[Outcome]:
    out = []
    for cell in cells:
        for seed in seeds:
            folder = run_dir(cache, cell, seed, any_trainer=any_trainer)
            if folder is None:
                continue
            loaded = load(folder)
            run = hide(loaded.runs[0], keep)
            report = diagnose(run)
            out.append(Outcome(cell, seed, {f.rule_id: f for f in report.findings},
                               {n.rule_id for n in report.not_assessed}))
    return out


def score(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for rule in RULE_IDS:
        tp = fn = fp = na = 0
        for o in outcomes:
            fired = rule in o.fired
            if rule in o.cell.must:
                if fired:
                    tp += 1
                elif rule in o.not_assessed:
                    na += 1
                    fn += 1
                else:
                    fn += 1
            elif rule in o.cell.must_not and fired:
                fp += 1
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * p * r / (p + r) if tp else 0.0
        table[rule] = dict(tp=tp, fp=fp, fn=fn, na=na, precision=p, recall=r, f1=f1)
    healthy = [o for o in outcomes if o.cell.problem == "healthy"]
    alarms = sum(1 for o in healthy if o.fired)
    table["_healthy"] = dict(runs=len(healthy), alarms=alarms,
                             rate=alarms / len(healthy) if healthy else float("nan"))
    return table


def failures(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        missed = [r for r in o.cell.must if r not in o.fired]
        wrong = [r for r in o.fired if r in o.cell.must_not]
        if missed or wrong:
            why = [f"missed {r}" + (" (not assessed)" if r in o.not_assessed else "")
                   for r in missed]
            why += [f"false {r}: {o.fired[r].message}" for r in wrong]
            lines.append(f"{o.cell.name} s{o.seed}: " + "; ".join(why))
    return lines


def format_table(table: dict[str, dict[str, float]], title: str) -> str:
    rows = [f"### {title}", "", "| rule | TP | FP | FN | not assessed | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|---|"]
    for rule in RULE_IDS:
        t = table[rule]
        if t["na"] and t["na"] == t["fn"] and not t["tp"]:  # nothing it could assess
            rows.append(f"| {rule} | – | – | – | {t['na']} | n/a | n/a | n/a |")
            continue
        rows.append(f"| {rule} | {t['tp']} | {t['fp']} | {t['fn']} | {t['na']} | "
                    f"{t['precision']:.2f} | {t['recall']:.2f} | {t['f1']:.2f} |")
    h = table["_healthy"]
    rows += ["", f"Healthy runs with any finding: {h['alarms']}/{h['runs']} "
                 f"({100 * h['rate']:.1f} %)"]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cells", nargs="*", help="only these cells (names)")
    ap.add_argument("--no-train", action="store_true",
                    help="score the cached runs as they are, even if an older trainer made them")
    args = ap.parse_args(argv)
    cells = [c for c in GRID if not args.cells or c.name in args.cells]
    if not args.no_train:
        ensure_trained(args.cache, cells, args.seeds, args.jobs)
    stale = args.no_train
    total = sum(run_dir(args.cache, c, s, any_trainer=stale) is not None
                for c in cells for s in args.seeds)
    print(f"{total} runs: {len(cells)} cells x {len(args.seeds)} seeds\n")
    results = {mode: diagnose_grid(args.cache, cells, args.seeds, keep, any_trainer=stale)
               for mode, (_, keep) in MODES.items()}
    for mode, outcomes in results.items():
        print(format_table(score(outcomes), MODES[mode][0]) + "\n")
    for mode, outcomes in results.items():
        lines = [line for line in failures(outcomes) if not line.endswith("(not assessed)")]
        print(f"Failing cases ({mode}; misses only because a rule could not assess are left "
              f"out): {len(lines)}")
        for line in lines:
            print("  - " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
