"""`train(config, out_dir)`: one flat, readable training run into a NEW run folder.

The folder is the truth for everyone else (reader, job queue, UI):
    config.json   written atomically before training starts
    status.json   {"state": running|done|early_stopped|diverged|failed|stopped, ...}, atomic,
                  rewritten every epoch
    events.out.tfevents.*   scalars + histograms + hparams, all in the folder itself
    checkpoints/best.pt (lowest val loss), checkpoints/final.pt

Steps are 0-based batch indices: `train/loss` at step s is the loss of batch s (before its
update); `val/*` are logged at the number of steps done when the epoch ends.
"""
from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams
from tqdm import tqdm

from .config import ConfigError, TrainConfig
from .data import augment, load_data
from .hooks import instrument, speed_up_event_writing, write_scalars
from .models import build_model


@dataclass
class History:
    """What happened, in memory, so tests and callers need not parse event files."""

    train_loss: list[float] = field(default_factory=list)  # per epoch (mean over batches)
    val_loss: list[float] = field(default_factory=list)  # per epoch
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)  # per epoch, the rate it trained with
    step_loss: list[float] = field(default_factory=list)  # every step's batch loss
    scalars: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # every tag written

    def series(self, tag: str) -> list[float]:
        return [v for _, v in self.scalars.get(tag, [])]

    def last(self, family: str) -> dict[str, float]:
        """Latest value per layer of a family, e.g. last("dead_frac") -> {"act1": 0.02}."""
        prefix = family + "/"
        return {t[len(prefix):]: v[-1][1] for t, v in self.scalars.items() if t.startswith(prefix) and v}


@dataclass
class TrainResult:
    run_dir: Path
    state: str  # done | early_stopped | diverged
    history: History
    diverged_at_step: int | None = None


def train(config: TrainConfig, out_dir: str | os.PathLike, *, progress: bool = True,
          run_name: str | None = None, run_dir: str | os.PathLike | None = None) -> TrainResult:
    """Train one run into a NEW folder under `out_dir`, or into `run_dir` when the caller
    (a background job) must know the folder before training starts."""
    data = load_data(config)  # bad data settings fail here, before any folder exists
    device = _device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # tiny models: 1 thread is faster and stable under load
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)  # batch order + augmentation
    model = build_model(config, data.input_shape, data.n_classes).to(device)
    opt = _optimizer(config, model)
    sched = _scheduler(config, opt)
    x_tr, y_tr = data.x_train.to(device), data.y_train.to(device)
    x_va, y_va = data.x_val.to(device), data.y_val.to(device)

    if run_dir is None:
        run_dir = _new_run_dir(Path(out_dir), run_name or "run", config.seed)
    else:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
    _write_json(run_dir / "config.json", config.to_dict())
    steps_per_epoch = math.ceil(len(data.x_train) / config.batch_size)
    status: dict[str, Any] = {
        "state": "running", "epoch": 0, "epochs": config.epochs, "step": 0,
        "total_steps": steps_per_epoch * config.epochs, "best_val_loss": None,
        "diverged_at_step": None, "started": _now(), "finished": None, "pid": os.getpid(),
    }
    _write_json(run_dir / "status.json", status)

    speed_up_event_writing()  # C checksums for event records when google-crc32c is there
    writer = SummaryWriter(str(run_dir), flush_secs=1)
    for summary in hparams(config.to_dict(), {"val/loss": 0.0, "val/acc": 0.0}):
        writer.file_writer.add_summary(summary)  # into the run folder, no sub-folder
    inst = instrument(model, writer, every=config.log_every, hist_every=config.hist_every)
    history = History()

    def log(step: int, values: dict[str, float]) -> None:  # one event per call
        write_scalars(writer, step, values)
        for tag, value in values.items():
            history.scalars.setdefault(tag, []).append((step, value))

    scalar_every = config.log_every  # the loop's own scalars: denser on short runs
    if config.min_loss_points:
        scalar_every = min(scalar_every, max(1, status["total_steps"] // config.min_loss_points))
    bar = tqdm(total=status["total_steps"], disable=not progress, file=sys.stderr,
               unit="step", desc=run_name or "train", leave=False)
    step, state, bad_epochs = 0, "done", 0
    try:
        for epoch in range(1, config.epochs + 1):
            model.train()
            lr = opt.param_groups[0]["lr"]
            loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device)
            order = torch.randperm(len(x_tr), generator=gen).to(device)
            for batch in order.split(config.batch_size):
                x, y = x_tr[batch], y_tr[batch]
                if config.augment:
                    x = augment(x, config.dataset, gen)
                logits = model(x)
                loss = _loss(config, logits, y, data.n_classes)
                loss_value = loss.item()  # one sync per step: needed to catch NaN at its step
                history.step_loss.append(loss_value)
                if not math.isfinite(loss_value):
                    log(step, {"train/loss": loss_value})  # the event file itself shows it
                    state, status["diverged_at_step"] = "diverged", step
                    break
                opt.zero_grad(set_to_none=True)
                loss.backward()
                inst.after_backward(step)
                if config.grad_clip:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                opt.step()
                hits = (logits.argmax(1) == y).sum()
                loss_sum += loss.detach() * len(y)
                correct += hits
                logged = None
                if step % scalar_every == 0:  # in the instruments' event on their steps
                    logged = {"train/loss": loss_value, "train/acc": hits.item() / len(y), "opt/lr": lr}
                inst.after_step(step, logged)
                step += 1
                bar.update()
            status.update(epoch=epoch, step=step)
            if state == "diverged":
                break
            val_loss, val_acc = _evaluate(config, model, x_va, y_va, data.n_classes)
            log(step, {"val/loss": val_loss, "val/acc": val_acc})
            history.train_loss.append(loss_sum.item() / len(x_tr))
            history.train_acc.append(correct.item() / len(x_tr))
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            history.lr.append(lr)
            bar.set_postfix(epoch=epoch, val_loss=f"{val_loss:.3f}")
            if not math.isfinite(val_loss):
                state, status["diverged_at_step"] = "diverged", step
                break
            best = status["best_val_loss"]
            if best is None or val_loss < best:
                status["best_val_loss"], bad_epochs = val_loss, 0
                _save(run_dir / "checkpoints" / "best.pt", model, config, epoch, step, val_loss)
            else:
                bad_epochs += 1
            _write_json(run_dir / "status.json", status)
            if config.early_stopping_patience and bad_epochs >= config.early_stopping_patience:
                state = "early_stopped"
                break
            if sched is not None:
                sched.step()
        _save(run_dir / "checkpoints" / "final.pt", model, config, status["epoch"], step, None)
    except BaseException as e:  # record why the run ended, then let the caller see it
        interrupted = isinstance(e, (KeyboardInterrupt, SystemExit))
        status.update(state="stopped" if interrupted else "failed", error=f"{type(e).__name__}: {e}")
        raise
    else:
        status["state"] = state
    finally:
        status["finished"] = _now()
        _write_json(run_dir / "status.json", status)
        bar.close()
        inst.close()  # writes the instruments' last pending values
        for tag, points in inst.records.items():  # step scalars went through the instruments
            history.scalars[tag] = sorted(history.scalars.get(tag, []) + points, key=lambda p: p[0])
        writer.close()
    return TrainResult(run_dir, state, history, status["diverged_at_step"])


# ---- pieces of the loop -------------------------------------------------------------------
def _loss(config: TrainConfig, logits: torch.Tensor, y: torch.Tensor, n_classes: int) -> torch.Tensor:
    if config.loss == "mse":  # squared error between softmax probabilities and one-hot targets
        return F.mse_loss(logits.softmax(1), F.one_hot(y, n_classes).float())
    return F.cross_entropy(logits, y)


@torch.no_grad()
def _evaluate(config, model, x, y, n_classes) -> tuple[float, float]:
    model.eval()  # the whole val set in one batch: it is small
    logits = model(x)
    loss = _loss(config, logits, y, n_classes).item()
    return loss, (logits.argmax(1) == y).float().mean().item()


def _optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    p, lr, wd = model.parameters(), config.lr, config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(p, lr=lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(p, lr=lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "adagrad":
        return torch.optim.Adagrad(p, lr=lr, weight_decay=wd)
    return torch.optim.Adam(p, lr=lr, weight_decay=wd)


def _scheduler(config: TrainConfig, opt: torch.optim.Optimizer):
    if config.lr_warmup_epochs:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: _lr_factor(config, epoch))
    if config.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, config.lr_step_size, config.lr_gamma)
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)
    return None


def _lr_factor(config: TrainConfig, epoch: int) -> float:
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


def _device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' requested but no CUDA device is available")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


# ---- the run folder ------------------------------------------------------------------------
def _new_run_dir(out_dir: Path, name: str, seed: int) -> Path:
    """`<name>-<YYYYmmdd-HHMMSS>-s<seed>`, suffixed -2, -3... if that exists (mkdir is atomic)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"{name}-{datetime.now():%Y%m%d-%H%M%S}-s{seed}"
    for n in range(1, 10_000):
        run_dir = out_dir / (base if n == 1 else f"{base}-{n}")
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder under {out_dir}")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def _save(path: Path, model: nn.Module, config: TrainConfig, epoch: int, step: int,
          val_loss: float | None) -> None:
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save({"model": model.state_dict(), "config": config.to_dict(), "epoch": epoch,
                "step": step, "val_loss": val_loss}, tmp)
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
