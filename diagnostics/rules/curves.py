"""Curve shapes for the rules' synthetic EXAMPLES, shaped like our trainer's logs.

Defaults mimic a 20-epoch digits run (22 steps per epoch): train scalars every few steps,
val once per epoch at the global step. Noise is multiplicative and seeded, so examples are
deterministic.
"""
from __future__ import annotations

import numpy as np

from diagnostics.rules.base import SyntheticRun

EPOCHS = 20
STEPS_PER_EPOCH = 22
LOG_EVERY = 5  # denser than the trainer's default so smoothing has something to do


def train_steps(epochs: int = EPOCHS) -> np.ndarray:
    return np.arange(0, epochs * STEPS_PER_EPOCH, LOG_EVERY)


def val_steps(epochs: int = EPOCHS) -> np.ndarray:
    return np.arange(1, epochs + 1) * STEPS_PER_EPOCH


def decay(steps: np.ndarray, start: float, end: float, tau: float, noise: float = 0.0,
          seed: int = 0) -> np.ndarray:
    """Exponential decay from `start` to `end` with time constant `tau` steps, with noise."""
    rng = np.random.default_rng(seed)
    clean = end + (start - end) * np.exp(-steps / tau)
    return clean * np.exp(noise * rng.standard_normal(len(steps)))


def u_shaped(steps: np.ndarray, floor: float = 0.25, height: float = 2.0, tau: float = 40,
             climb: float = 0.004, after: int = 100) -> np.ndarray:
    """A val loss that falls by `height` towards `floor` (time constant `tau` steps), then
    climbs `climb` per step from step `after` on: overfitting's shape."""
    return floor + height * np.exp(-steps / tau) + climb * np.maximum(steps - after, 0)


def healthy(run: SyntheticRun | None = None, *, seed: int = 0, val_floor: float = 0.12,
            epochs: int = EPOCHS) -> SyntheticRun:
    """Train and val loss both falling to a plateau, with mini-batch noise on train."""
    run = run or SyntheticRun("healthy")
    ts, vs = train_steps(epochs), val_steps(epochs)
    run.scalar("train/loss", ts, decay(ts, 2.3, 0.05, 60, noise=0.25, seed=seed))
    run.scalar("val/loss", vs, decay(vs, 2.3, val_floor, 60, noise=0.03, seed=seed + 1))
    return run


def relu_histogram(run: SyntheticRun, tag: str, steps: np.ndarray, zero_mass: float,
                   n_values: int = 4096) -> SyntheticRun:
    """Post-ReLU activation histograms: `zero_mass` of the values sit in the bucket at 0."""
    edges = np.linspace(0.0, 4.0, 33)
    for step in steps:
        positive = np.exp(-np.linspace(0, 4, 32))  # decaying positive tail
        counts = positive / positive.sum() * n_values * (1 - zero_mass)
        counts[0] += n_values * zero_mass
        run.histogram(tag, int(step), edges, counts)
    return run


def grad_histogram(run: SyntheticRun, tag: str, steps: np.ndarray, scale: np.ndarray,
                   n_values: int = 4096) -> SyntheticRun:
    """Gaussian gradient histograms whose spread is `scale[i]` at `steps[i]`."""
    base = np.linspace(-4.0, 4.0, 33)
    centre = (base[:-1] + base[1:]) / 2
    shape = np.exp(-centre**2 / 2)
    for step, s in zip(steps, scale):
        run.histogram(tag, int(step), base * s, shape / shape.sum() * n_values)
    return run
