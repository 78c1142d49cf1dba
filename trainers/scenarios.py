"""Named fault scenarios: small config overrides that reliably provoke ONE training problem.

Each runs in about a second on a 2-core CPU and shows its symptom for seeds 0, 1, 2
(tests/test_trainer_scenarios.py measures it). What each provokes, and how:

healthy
    Digits MLP (2x64 ReLU), Adam 1e-3, 20 epochs. Val loss falls then plateaus (~0.1-0.15),
    val acc ~0.97, no dead units, first/last layer gradient norms within ~2x.
overfitting
    200 training samples with 40 % of their labels randomised, a wide (256) net, Adam 3e-3
    for 60 epochs, no regularisation. The net memorises (train acc 1.0) while val loss
    climbs 50 %+ above its minimum, reached within the first ~10 epochs.
underfitting
    One sigmoid layer of 16 units, squared error on softmax outputs, plain SGD. MSE through
    a softmax has tiny gradients, so even lr 1.0 crawls: train acc ~0.5 after 15 epochs
    (healthy: ~1.0) and val acc equal to it (no generalisation gap).
lr_oscillation
    SGD with momentum 0.9 at lr 1.0 on a tanh net (tanh cannot die). After the first epoch
    train loss stops improving and swings between ~0.2 and ~2 from batch to batch; epoch
    losses rise about every other epoch; always finite. Overlap: val loss drifts up as well,
    and train acc (~0.9) stays below a healthy run's.
dead_relu
    One ReLU layer whose biases start at -3 (`init="bad_negative_bias"`). ~80 % of its units
    never fire on a batch, get no gradient and stay dead; train acc stalls at ~0.4-0.6.
    Overlap: learning stalls, so it underfits too.
vanishing_gradient
    8 sigmoid layers with N(0, 0.01) weights (`init="tiny_std"`) and plain SGD. Each layer
    scales the backward signal by ~0.25 x 0.01 x sqrt(64), so the first layer's gradient
    norm is ~1e-13 of the last layer's and the loss stays at chance (ln 10).
    Overlap: it underfits too.
exploding_gradient
    N(0, 1) weights (`init="huge_std"`) in 4 leaky-ReLU layers (leaky units cannot die: no
    dead-ReLU confusion), SGD + momentum, no clipping. The total grad norm starts ~1e4,
    grows by orders of magnitude and the loss turns inf/NaN within ~10-20 steps; the loop
    stops with status "diverged". Instruments log every step so the blow-up is visible.
    Overlap: divergence, by construction.
"""
from __future__ import annotations

from typing import Any

from diagnostics.messages import Msg

from .config import ConfigError, TrainConfig

# Short runs: log every 10 steps and histograms every 50 (the defaults suit long runs).
_DENSE = dict(log_every=10, hist_every=50)

SCENARIOS: dict[str, dict[str, Any]] = {
    "healthy": dict(_DENSE, dataset="digits", model="mlp", activation="relu", optimizer="adam",
                    lr=1e-3, epochs=20),
    "overfitting": dict(_DENSE, train_size=200, label_noise=0.4, width=256, lr=3e-3, epochs=60,
                        log_every=5),
    "underfitting": dict(_DENSE, activation="sigmoid", loss="mse", optimizer="sgd", lr=1.0,
                         depth=1, width=16, epochs=15),
    "lr_oscillation": dict(_DENSE, activation="tanh", optimizer="sgd", lr=1.0, momentum=0.9,
                           epochs=20, log_every=5),
    "dead_relu": dict(_DENSE, init="bad_negative_bias", depth=1, epochs=15),
    "vanishing_gradient": dict(_DENSE, init="tiny_std", depth=8, activation="sigmoid",
                               optimizer="sgd", lr=0.1, epochs=15),
    "exploding_gradient": dict(_DENSE, init="huge_std", depth=4, activation="leaky_relu",
                               optimizer="sgd", lr=0.003, momentum=0.9, epochs=10, log_every=1),
}

DESCRIPTIONS: dict[str, str] = {  # one line each, for `--list-scenarios` and the UI
    "healthy": "digits MLP, Adam 1e-3: learns well (val acc ~0.97), no symptom",
    "overfitting": "200 noisy-label samples, wide net, 60 epochs: val loss climbs, train loss falls",
    "underfitting": "tiny sigmoid net, MSE loss, plain SGD: train acc stays ~0.5",
    "lr_oscillation": "SGD + momentum at lr 1.0: train loss swings batch to batch, never settles",
    "dead_relu": "ReLU biases start at -3: most units never fire and learning stalls",
    "vanishing_gradient": "8 sigmoid layers, tiny init: first-layer gradients ~1e-13 of the last",
    "exploding_gradient": "huge init, SGD + momentum, no clipping: grad norm blows up, loss NaN",
}


RULES = ("overfitting", "underfitting", "lr_oscillation", "dead_relu", "vanishing_gradient",
         "exploding_gradient", "divergence")

# What a correct diagnosis of each scenario must / must not report (sample_runs/*/expected.json).
# Overlaps named in the module docstring are in neither list: they may or may not be reported.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "healthy": {"must": [], "must_not": list(RULES)},
    "overfitting": {"must": ["overfitting"], "must_not": [
        "underfitting", "lr_oscillation", "dead_relu", "vanishing_gradient",
        "exploding_gradient", "divergence"]},
    "underfitting": {"must": ["underfitting"], "must_not": [
        "overfitting", "lr_oscillation", "dead_relu", "vanishing_gradient",
        "exploding_gradient", "divergence"]},
    "lr_oscillation": {"must": ["lr_oscillation"], "must_not": [
        "dead_relu", "vanishing_gradient", "exploding_gradient", "divergence"]},
    "dead_relu": {"must": ["dead_relu"], "must_not": [
        "overfitting", "lr_oscillation", "vanishing_gradient", "exploding_gradient",
        "divergence"]},
    "vanishing_gradient": {"must": ["vanishing_gradient"], "must_not": [
        "overfitting", "lr_oscillation", "dead_relu", "exploding_gradient", "divergence"]},
    "exploding_gradient": {"must": ["exploding_gradient", "divergence"], "must_not": [
        "overfitting", "dead_relu", "vanishing_gradient"]},
}


def scenario_config(name: str, seed: int = 0) -> TrainConfig:
    """The full config of a scenario for one seed (defaults + the scenario's overrides)."""
    if name not in SCENARIOS:
        raise ConfigError(Msg("trainer.unknown_scenario", name=repr(name), known=", ".join(SCENARIOS)))
    return TrainConfig(**SCENARIOS[name], seed=seed)
