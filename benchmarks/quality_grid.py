"""The labelled grid of the quality benchmark: each cell is one fault at one strength (or a healthy
recipe), a config override of our trainer, sometimes with a patched fault constant (the ReLU bias).

Cells are labelled by construction, per rule:
- must:     the fault injected; the rule has to fire (recall counts these);
- may:      a legitimate side effect (exploding gradients usually end in divergence; a net whose
            ReLUs died also underfits) — firing or not is not scored;
- must-not: every other rule. Precision counts fires on must + must-not only.
Healthy cells have every rule in must-not; their false-alarm rate is the share of healthy runs with
ANY finding. A "contained" cell injects a fault together with its fix (overfitting under early
stopping): every rule is must-not there too, but it is not counted as healthy.

Healthy cells include recipes we do not use ourselves (SGD + step decay, batches of 8-16, cosine, a
warm-up then decay, Adam + weight decay) and noisy-label / 2-D data whose honest train-accuracy
ceiling is 85-90 %; several faults are injected under those recipes too.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from diagnostics.remedies import DIAGNOSIS_ORDER

RULE_IDS = DIAGNOSIS_ORDER


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
