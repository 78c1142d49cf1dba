"""MLP and small CNN builders driven by `TrainConfig`.

Layer names are part of the tag contract (`grad_norm/fc1`, `dead_frac/act1`, ...), so they
are fixed and readable: block i (1-based) is `fc<i>` / `conv<i>`, then `bn<i>`, `act<i>`,
`drop<i>`; the classifier is `out`.
"""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .config import TrainConfig

# Fault-injection strengths (see `init` in TrainConfig); tuned with scenarios.py.
NEGATIVE_BIAS = -3.0  # far below typical hidden pre-activations (std ~0.5) -> most ReLUs dead
TINY_STD = 0.01  # each layer shrinks the backward signal -> vanishing gradients
HUGE_STD = 1.0  # each layer amplifies activations and gradients -> explosion

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "selu": nn.SELU,
}


def build_model(config: TrainConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    layers = _cnn(config, n_classes) if config.model == "cnn" else _mlp(config, input_shape[0], n_classes)
    model = nn.Sequential(OrderedDict(layers))
    init_weights(model, config.init)
    return model


def _block(config: TrainConfig, i: int, bn: type[nn.Module]) -> list[tuple[str, nn.Module]]:
    """The parts after a block's linear/conv layer: batch norm, activation, dropout."""
    parts: list[tuple[str, nn.Module]] = []
    if config.batch_norm:
        parts.append((f"bn{i}", bn(config.width)))
    parts.append((f"act{i}", _ACTIVATIONS[config.activation]()))
    if config.dropout:
        parts.append((f"drop{i}", nn.Dropout(config.dropout)))
    return parts


def _mlp(config: TrainConfig, n_in: int, n_classes: int) -> list[tuple[str, nn.Module]]:
    layers: list[tuple[str, nn.Module]] = []
    for i in range(1, config.depth + 1):
        layers.append((f"fc{i}", nn.Linear(n_in if i == 1 else config.width, config.width)))
        layers += _block(config, i, nn.BatchNorm1d)
    layers.append(("out", nn.Linear(config.width, n_classes)))
    return layers


def _cnn(config: TrainConfig, n_classes: int) -> list[tuple[str, nn.Module]]:
    """3x3 conv blocks on the 8x8 digits; one 2x2 max-pool after the first block."""
    layers: list[tuple[str, nn.Module]] = []
    for i in range(1, config.depth + 1):
        layers.append((f"conv{i}", nn.Conv2d(1 if i == 1 else config.width, config.width, 3, padding=1)))
        layers += _block(config, i, nn.BatchNorm2d)
        if i == 1:
            layers.append(("pool1", nn.MaxPool2d(2)))
    layers += [("flatten", nn.Flatten()), ("out", nn.Linear(config.width * 16, n_classes))]
    return layers


def init_weights(model: nn.Module, scheme: str) -> None:
    """Apply an init scheme to every Linear/Conv layer ("default" keeps PyTorch's)."""
    for name, m in model.named_modules():
        if not isinstance(m, (nn.Linear, nn.Conv2d)) or scheme == "default":
            continue
        if scheme == "xavier":
            nn.init.xavier_normal_(m.weight)
            nn.init.zeros_(m.bias)
        elif scheme == "he":
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif scheme == "bad_negative_bias" and name != "out":  # keep PyTorch's weights
            nn.init.constant_(m.bias, NEGATIVE_BIAS)
        elif scheme in ("tiny_std", "huge_std"):
            nn.init.normal_(m.weight, std=TINY_STD if scheme == "tiny_std" else HUGE_STD)
            nn.init.zeros_(m.bias)
