"""Offline datasets with a FIXED train/val split, standardised on the training part.

The split never depends on `config.seed` (so runs of different seeds are comparable);
the seed drives only label noise, augmentation and (in the loop) the batch order.
Everything lives in memory as tensors: the sets are tiny and a DataLoader would cost
more than the model.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from .config import ConfigError, TrainConfig

VAL_FRACTION = 0.2
SPLIT_SEED = 0  # fixed: the same data and split for every run
SYNTHETIC_SAMPLES = 1000
JITTER_STD = 0.1  # augmentation noise for the 2-D sets, in standardised units


@dataclass(frozen=True)
class Data:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    n_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's bundled digits (1797 8x8 images), read from its CSV without importing
    sklearn: that import (scipy) costs ~2 s per process."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise RuntimeError("the digits dataset needs scikit-learn installed")
    table = np.loadtxt(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz",
                       delimiter=",", dtype=np.float32)
    return table[:, :-1], table[:, -1].astype(np.int64)


def _synthetic(name: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two moons, two rings, or four gaussian blobs in 2-D (as sklearn's make_* draw them)."""
    n = SYNTHETIC_SAMPLES
    y = np.arange(n) % (4 if name == "blobs" else 2)
    t = rng.uniform(0, np.pi if name == "moons" else 2 * np.pi, n)
    if name == "moons":
        x = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        x = x + rng.normal(0, 0.25, x.shape)
    elif name == "circles":
        x = np.c_[np.cos(t), np.sin(t)] * np.where(y == 0, 1.0, 0.5)[:, None]
        x = x + rng.normal(0, 0.1, x.shape)
    else:
        centers = rng.uniform(-10, 10, (4, 2))
        x = centers[y] + rng.normal(0, 1.5, (n, 2))
    return x.astype(np.float32), y


@cache
def _split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features and labels, split once and standardised with training statistics."""
    rng = np.random.default_rng(SPLIT_SEED)
    x, y = _digits() if name == "digits" else _synthetic(name, rng)
    order = rng.permutation(len(x))
    n_val = round(VAL_FRACTION * len(x))
    val, tr = order[:n_val], order[n_val:]
    mean, std = x[tr].mean(0), x[tr].std(0)
    std[std == 0] = 1.0  # digits has always-blank border pixels
    return (x[tr] - mean) / std, y[tr], (x[val] - mean) / std, y[val]


def load_data(config: TrainConfig) -> Data:
    x_tr, y_tr, x_va, y_va = _split(config.dataset)
    n_classes = int(max(y_tr.max(), y_va.max()) + 1)
    if config.train_size > len(x_tr):
        raise ConfigError(
            f"train_size: {config.dataset} has {len(x_tr)} training samples, got {config.train_size}"
        )
    if config.train_size:
        x_tr, y_tr = x_tr[: config.train_size], y_tr[: config.train_size]  # already shuffled
    y_tr = y_tr.copy()
    if config.label_noise:
        rng = np.random.default_rng(config.seed)
        noisy = rng.random(len(y_tr)) < config.label_noise
        y_tr[noisy] = rng.integers(0, n_classes, int(noisy.sum()))  # may hit the true class
    shape = (-1, 1, 8, 8) if config.model == "cnn" else (-1, x_tr.shape[1])
    return Data(
        x_train=torch.from_numpy(x_tr).reshape(shape),
        y_train=torch.from_numpy(y_tr).long(),
        x_val=torch.from_numpy(x_va).reshape(shape),
        y_val=torch.from_numpy(y_va).long(),
        n_classes=n_classes,
    )


def augment(x: torch.Tensor, dataset: str, gen: torch.Generator) -> torch.Tensor:
    """Cheap augmentation of one batch: a random 1-pixel shift of all digits images in the
    batch (border pixels are blank, so rolling is a shift), or gaussian jitter otherwise.
    `gen` is a CPU generator so augmentation is reproducible on any device."""
    if dataset == "digits":
        dy, dx = torch.randint(-1, 2, (2,), generator=gen).tolist()
        images = x.reshape(len(x), 8, 8) if x.dim() == 2 else x
        shifted = torch.roll(images, shifts=(dy, dx), dims=(-2, -1))
        return shifted.reshape(x.shape)
    noise = torch.randn(x.shape, generator=gen) * JITTER_STD  # gen lives on the CPU
    return x + noise.to(x.device)
