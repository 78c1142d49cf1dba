"""The optimizer and learning-rate schedule a `TrainConfig` asks for."""
from __future__ import annotations

import math

import torch
from torch import nn

from .config import TrainConfig


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    p, lr, wd = model.parameters(), config.lr, config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(p, lr=lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(p, lr=lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "adagrad":
        return torch.optim.Adagrad(p, lr=lr, weight_decay=wd)
    return torch.optim.Adam(p, lr=lr, weight_decay=wd)


def make_scheduler(config: TrainConfig, opt: torch.optim.Optimizer):
    if config.lr_warmup_epochs:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: lr_factor(config, epoch))
    if config.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, config.lr_step_size, config.lr_gamma)
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)
    return None


def lr_factor(config: TrainConfig, epoch: int) -> float:
    """The lr multiplier of a 0-based epoch under a linear warm-up, then the schedule."""
    warm = config.lr_warmup_epochs
    if epoch < warm:
        return (epoch + 1) / (warm + 1)
    after = epoch - warm
    if config.lr_schedule == "step":
        return config.lr_gamma ** (after // config.lr_step_size)
    if config.lr_schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * after / (config.epochs - warm)))
    return 1.0
