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

Healthy cells include recipes we do not use ourselves (SGD + step decay, batches of 8-16,
cosine, a warm-up then decay, Adam + weight decay) and noisy-label / 2-D data whose honest
train-accuracy ceiling is 85-90 %; several faults are injected under those recipes too.

The trained grid is cached on disk (the trainer is seeded, so re-scoring is free); a cell is
re-trained only when its definition changes. Each run is scored in several views. Our own
files three ways: with every tag; with the instrument scalars hidden but gradient/activation
histograms kept (the rules' histogram paths); and with every instrument tag hidden, i.e. what
loss curves alone can do. Then the same run re-written by a real SummaryWriter in the names of
other programs (`benchmarks/naming_styles.py`: Hugging Face Trainer, Keras, Lightning, a
tutorial loop), cached beside the run and keyed by the re-writer's code. Rules whose data a
view lacks (no per-layer data in a Hugging Face log) show as not assessed ("n/a"): honest,
not a miss.

    python -m benchmarks.quality --seeds 0 1 2 3 4 5 6 7 8 9 10 11 --jobs 2   # the full grid
    python -m benchmarks.quality --views all keras --details              # some views, tables
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

import numpy as np

from benchmarks import naming_styles
from diagnostics.engine import diagnose
from diagnostics.messages import english
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
SGD_STEP = dict(optimizer="sgd", lr=0.1, momentum=0.9, lr_schedule="step", lr_step_size=5,
                epochs=15)
SGD_STEP_BS16 = dict(optimizer="sgd", lr=0.02, momentum=0.9, batch_size=16, lr_schedule="step",
                     lr_step_size=4, epochs=8)
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
    # -- healthy recipes we do not use ourselves (an outside evaluation's): SGD + step decay,
    # small noisy batches (8-16), cosine, a linear warm-up then decay, Adam + weight decay, and
    # noisy labels / 2-D sets where 85-90 % train accuracy is the honest ceiling (label noise
    # hits the training labels only, so val accuracy stays high and val loss below train loss)
    _h("healthy_sgd_step", **SGD_STEP),
    _h("healthy_sgd_step_nomom", optimizer="sgd", lr=0.1, lr_schedule="step", lr_step_size=7,
       epochs=15),
    _h("healthy_sgd_step_bs16", **SGD_STEP_BS16),
    _h("healthy_sgd_bs8", optimizer="sgd", lr=0.05, batch_size=8, epochs=5),
    _h("healthy_adam_bs8", batch_size=8, epochs=4),
    _h("healthy_sgd_cosine", optimizer="sgd", lr=0.05, momentum=0.9, lr_schedule="cosine",
       epochs=15),
    _h("healthy_warmup_cosine", lr=3e-3, lr_warmup_epochs=2, lr_schedule="cosine", epochs=12),
    _h("healthy_warmup_step_sgd", optimizer="sgd", lr=0.05, momentum=0.9, lr_warmup_epochs=3,
       lr_schedule="step", lr_step_size=6, epochs=15),
    _h("healthy_adam_wd5e-4", lr=2e-3, weight_decay=5e-4, epochs=15),
    _h("healthy_adam_wd1e-2", lr=2e-3, weight_decay=1e-2, epochs=15),
    _h("healthy_digits_noise10", label_noise=0.1, epochs=12),
    _h("healthy_digits_noise15_sgd_step_bs16", **SGD_STEP_BS16, label_noise=0.15),
    _h("healthy_moons_noise15", dataset="moons", label_noise=0.15),
    _h("healthy_moons_noise10_sgd_bs16", dataset="moons", optimizer="sgd", lr=0.05,
       momentum=0.9, batch_size=16, label_noise=0.1, epochs=10),
    _h("healthy_moons_noise12_warmup_cosine", dataset="moons", lr=3e-3, lr_warmup_epochs=2,
       lr_schedule="cosine", label_noise=0.12, epochs=15),
    _h("healthy_circles_noise10", dataset="circles", label_noise=0.1),
    _h("healthy_circles_noise10_cosine_bs8", dataset="circles", optimizer="sgd", lr=0.05,
       momentum=0.9, batch_size=8, lr_schedule="cosine", label_noise=0.1, epochs=6),
    _h("healthy_blobs_noise10_sgd_step_bs8", dataset="blobs", optimizer="sgd", lr=0.05,
       batch_size=8, lr_schedule="step", lr_step_size=3, lr_gamma=0.3, label_noise=0.1,
       epochs=8),
    # -- overfitting: fewer samples / more label noise / a CNN
    Cell("overfit_n200_noise30", "overfitting", dict(OVERFIT, train_size=200, label_noise=0.3),
         must=("overfitting",)),
    Cell("overfit_n100_noise20", "overfitting", dict(OVERFIT, train_size=100, label_noise=0.2),
         must=("overfitting",)),
    Cell("overfit_n400_noise30", "overfitting", dict(OVERFIT, train_size=400, label_noise=0.3),
         must=("overfitting",)),
    Cell("overfit_sgd_step", "overfitting", dict(OVERFIT, train_size=200, label_noise=0.3,
                                                 optimizer="sgd", lr=0.05, momentum=0.9,
                                                 lr_schedule="step", lr_step_size=30,
                                                 lr_gamma=0.5),
         must=("overfitting",)),
    Cell("overfit_adam_wd_cosine", "overfitting", dict(OVERFIT, train_size=200, label_noise=0.3,
                                                       lr=3e-3, weight_decay=1e-4,
                                                       lr_schedule="cosine", epochs=60),
         must=("overfitting",)),
    Cell("overfit_moons_n100_noise20", "overfitting", dict(OVERFIT, dataset="moons",
                                                           train_size=100, label_noise=0.2,
                                                           depth=3, lr=3e-3, epochs=200),
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
    Cell("under_sgd_cosine_lr1e-3", "underfitting", dict(DENSE, optimizer="sgd", lr=1e-3,
                                                         lr_schedule="cosine", epochs=15),
         must=("underfitting",)),
    Cell("under_warmup_adam_lr1e-5", "underfitting", dict(DENSE, lr=1e-5, lr_warmup_epochs=2,
                                                          epochs=10),
         must=("underfitting",)),
    Cell("under_sgd_bs16_lr1e-4", "underfitting", dict(SGD_STEP_BS16, **DENSE, lr=1e-4,
                                                       epochs=4),
         must=("underfitting",)),
    # too small a model: 2 tanh units cannot separate two rings (tanh: no dead-unit overlap)
    Cell("under_circles_w2_tanh", "underfitting", dict(DENSE, dataset="circles", width=2,
                                                       depth=1, activation="tanh", epochs=20),
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
    Cell("osc_bs16_lr0.5", "lr_oscillation", dict(OSC, lr=0.5, batch_size=16, epochs=6,
                                                  log_every=10),
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
    Cell("dead_sgd_step", "dead_relu", dict(DEAD, depth=1, optimizer="sgd", lr=0.05,
                                            momentum=0.9, lr_schedule="step", lr_step_size=5),
         must=("dead_relu",), may=("underfitting",)),
    # -- vanishing gradients: depth of the tiny-init sigmoid stack
    Cell("vanish_d4", "vanishing_gradient", dict(VANISH, depth=4),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d6", "vanishing_gradient", dict(VANISH, depth=6),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d8", "vanishing_gradient", dict(VANISH, depth=8),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d6_sgd_cosine", "vanishing_gradient", dict(VANISH, depth=6, momentum=0.9,
                                                            lr_schedule="cosine"),
         must=("vanishing_gradient",), may=("underfitting",)),
    Cell("vanish_d10_adam", "vanishing_gradient", dict(VANISH, depth=10, optimizer="adam",
                                                       lr=1e-3),
         must=("vanishing_gradient",), may=("underfitting",)),
    # -- exploding gradients (ending in divergence, which is legitimate), depth x lr
    Cell("explode_d4_lr3e-3", "exploding_gradient", dict(EXPLODE, depth=4, lr=0.003),
         must=("exploding_gradient",), may=("divergence", "lr_oscillation", "underfitting")),
    Cell("explode_d3_lr1e-2", "exploding_gradient", dict(EXPLODE, depth=3, lr=0.01),
         must=("exploding_gradient",), may=("divergence", "lr_oscillation", "underfitting")),
    Cell("explode_d4_bs16", "exploding_gradient", dict(EXPLODE, depth=4, lr=0.003,
                                                       batch_size=16, epochs=5),
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
    # a warm-up that climbs to a far too high rate: the loss falls first, then blows up
    Cell("diverge_warmup_lr5", "divergence", dict(DIVERGE, activation="leaky_relu", lr=5.0,
                                                  lr_warmup_epochs=4, epochs=8),
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


# ---- scoring ----------------------------------------------------------------------------
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


def unassessable(t: dict[str, float]) -> bool:
    """The rule could assess none of its must runs in this view (e.g. no per-layer data)."""
    return bool(t["na"]) and t["na"] == t["fn"] and not t["tp"]


def failures(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        missed = [r for r in o.cell.must if r not in o.fired]
        wrong = [r for r in o.fired if r in o.cell.must_not]
        if missed or wrong:
            why = [f"missed {r}" + (" (not assessed)" if r in o.not_assessed else "")
                   for r in missed]
            why += [f"false {r}: {o.fired[r]}" for r in wrong]
            lines.append(f"{o.cell.name} s{o.seed}: " + "; ".join(why))
    return lines


def grouped_failures(outcomes: list[Outcome]) -> list[str]:
    """Misses and false alarms grouped per cell and rule, with the seeds and, per seed, the
    finding's message (false alarms) or what the run did (misses). Misses where the rule
    could not assess the run (the view lacks its data) are left out."""
    groups: dict[tuple[str, str, str], list[Outcome]] = {}
    for o in outcomes:
        for r in o.cell.must:
            if r not in o.fired and r not in o.not_assessed:
                groups.setdefault((o.cell.name, "missed", r), []).append(o)
        for r in o.fired:
            if r in o.cell.must_not:
                groups.setdefault((o.cell.name, "false", r), []).append(o)
    lines = []
    for (name, kind, rule), items in groups.items():
        seeds = ",".join(str(o.seed) for o in items)
        head = f"{name} seeds {seeds}: {'missed' if kind == 'missed' else 'false'} {rule}"
        lines.append(head)
        for o in items:
            detail = o.fired[rule] if kind == "false" else o.stats
            if kind == "false":
                detail += f" [{o.stats}]"
            lines.append(f"    s{o.seed}: {detail}")
    return lines


def format_table(table: dict[str, dict[str, float]], title: str) -> str:
    rows = [f"### {title}", "", "| rule | TP | FP | FN | not assessed | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|---|"]
    for rule in RULE_IDS:
        t = table[rule]
        if unassessable(t):  # nothing it could assess
            rows.append(f"| {rule} | – | – | – | {t['na']} | n/a | n/a | n/a |")
            continue
        rows.append(f"| {rule} | {t['tp']} | {t['fp']} | {t['fn']} | {t['na']} | "
                    f"{t['precision']:.2f} | {t['recall']:.2f} | {t['f1']:.2f} |")
    h = table["_healthy"]
    rows += ["", f"Healthy runs with any finding: {h['alarms']}/{h['runs']} "
                 f"({100 * h['rate']:.1f} %)"]
    return "\n".join(rows)


def format_summary(tables: dict[str, dict[str, dict[str, float]]]) -> str:
    """F1 per rule (rows) and view (columns), then the healthy false-alarm rate."""
    views = list(tables)
    short = {"all": "ours: all", "histograms": "ours: hist.", "curves": "ours: curves"}
    rows = ["| rule | " + " | ".join(short.get(v, v) for v in views) + " |",
            "|---|" + "---|" * len(views)]
    for rule in RULE_IDS:
        cells = []
        for v in views:
            t = tables[v][rule]
            empty = not (t["tp"] or t["fn"] or t["fp"])  # nothing to score in this subset
            cells.append("n/a" if unassessable(t) else "–" if empty else f"{t['f1']:.2f}")
        rows.append(f"| {rule} | " + " | ".join(cells) + " |")
    alarms = []
    for v in views:
        h = tables[v]["_healthy"]
        alarms.append(f"{h['alarms']}/{h['runs']} ({100 * h['rate']:.1f} %)")
    rows.append("| healthy runs with a finding | " + " | ".join(alarms) + " |")
    return "\n".join(rows)


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
