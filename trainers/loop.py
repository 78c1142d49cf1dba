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
from .optim import make_optimizer, make_scheduler


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
    model = build_model(config, data.input_shape, data.n_classes).to(device)
    opt = make_optimizer(config, model)
    run_dir = _open_run_dir(config, out_dir, run_name, run_dir)
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
    loop = _Loop(config, data, device, model, opt, run_dir, status, writer, History(),
                 instrument(model, writer, every=config.log_every, hist_every=config.hist_every),
                 tqdm(total=status["total_steps"], disable=not progress, file=sys.stderr,
                      unit="step", desc=run_name or "train", leave=False))
    try:
        state = loop.run(make_scheduler(config, opt))
        _save(run_dir / "checkpoints" / "final.pt", model, config, status["epoch"], loop.step, None)
    except BaseException as e:  # record why the run ended, then let the caller see it
        interrupted = isinstance(e, (KeyboardInterrupt, SystemExit))
        status.update(state="stopped" if interrupted else "failed", error=f"{type(e).__name__}: {e}")
        raise
    else:
        status["state"] = state
    finally:
        loop.close()
    return TrainResult(run_dir, status["state"], loop.history, status["diverged_at_step"])


def _open_run_dir(config: TrainConfig, out_dir, run_name: str | None, run_dir) -> Path:
    """The run's folder, with its config.json written."""
    if run_dir is None:
        run_dir = _new_run_dir(Path(out_dir), run_name or "run", config.seed)
    else:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
    _write_json(run_dir / "config.json", config.to_dict())
    return run_dir


class _Loop:
    """The epochs of one run: its batches, then the epoch's evaluation, checkpoint and stop."""

    def __init__(self, config, data, device, model, opt, run_dir, status, writer, history, inst, bar):
        self.config, self.data, self.device, self.model, self.opt = config, data, device, model, opt
        self.run_dir, self.status, self.writer, self.history = run_dir, status, writer, history
        self.inst, self.bar = inst, bar
        self.gen = torch.Generator().manual_seed(config.seed)  # batch order + augmentation
        self.x_tr, self.y_tr = data.x_train.to(device), data.y_train.to(device)
        self.x_va, self.y_va = data.x_val.to(device), data.y_val.to(device)
        self.step = self.bad_epochs = 0
        self.scalar_every = config.log_every  # the loop's own scalars: denser on short runs
        if config.min_loss_points:
            self.scalar_every = min(self.scalar_every, max(1, status["total_steps"] // config.min_loss_points))

    def log(self, step: int, values: dict[str, float]) -> None:  # one event per call
        write_scalars(self.writer, step, values)
        for tag, value in values.items():
            self.history.scalars.setdefault(tag, []).append((step, value))

    def run(self, sched) -> str:
        """Every epoch; the run's end state (done, diverged, early_stopped)."""
        for epoch in range(1, self.config.epochs + 1):
            self.model.train()
            lr = self.opt.param_groups[0]["lr"]
            sums = self.batches()
            self.status.update(epoch=epoch, step=self.step)
            if sums is None:
                return "diverged"
            ended = self.end_epoch(epoch, lr, *sums)
            if ended:
                return ended
            if sched is not None:
                sched.step()
        return "done"

    def batches(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """One epoch's steps: (loss sum, correct count), or None when the loss went NaN/inf."""
        config = self.config
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        lr = self.opt.param_groups[0]["lr"]
        order = torch.randperm(len(self.x_tr), generator=self.gen).to(self.device)
        for batch in order.split(config.batch_size):
            x, y = self.x_tr[batch], self.y_tr[batch]
            if config.augment:
                x = augment(x, config.dataset, self.gen)
            logits = self.model(x)
            loss = _loss(config, logits, y, self.data.n_classes)
            loss_value = loss.item()  # one sync per step: needed to catch NaN at its step
            self.history.step_loss.append(loss_value)
            if not math.isfinite(loss_value):
                self.log(self.step, {"train/loss": loss_value})  # the event file itself shows it
                self.status["diverged_at_step"] = self.step
                return None
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.inst.after_backward(self.step)
            if config.grad_clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
            self.opt.step()
            hits = (logits.argmax(1) == y).sum()
            loss_sum += loss.detach() * len(y)
            correct += hits
            logged = None
            if self.step % self.scalar_every == 0:  # in the instruments' event on their steps
                logged = {"train/loss": loss_value, "train/acc": hits.item() / len(y), "opt/lr": lr}
            self.inst.after_step(self.step, logged)
            self.step += 1
            self.bar.update()
        return loss_sum, correct

    def end_epoch(self, epoch: int, lr: float, loss_sum: torch.Tensor, correct: torch.Tensor) -> str | None:
        """Evaluate, keep the best checkpoint, write the status; "diverged" or "early_stopped"
        when the run ends here, else None."""
        config, status, history = self.config, self.status, self.history
        val_loss, val_acc = _evaluate(config, self.model, self.x_va, self.y_va, self.data.n_classes)
        self.log(self.step, {"val/loss": val_loss, "val/acc": val_acc})
        history.train_loss.append(loss_sum.item() / len(self.x_tr))
        history.train_acc.append(correct.item() / len(self.x_tr))
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        history.lr.append(lr)
        self.bar.set_postfix(epoch=epoch, val_loss=f"{val_loss:.3f}")
        if not math.isfinite(val_loss):
            status["diverged_at_step"] = self.step
            return "diverged"
        best = status["best_val_loss"]
        if best is None or val_loss < best:
            status["best_val_loss"], self.bad_epochs = val_loss, 0
            _save(self.run_dir / "checkpoints" / "best.pt", self.model, config, epoch, self.step, val_loss)
        else:
            self.bad_epochs += 1
        _write_json(self.run_dir / "status.json", status)
        if config.early_stopping_patience and self.bad_epochs >= config.early_stopping_patience:
            return "early_stopped"
        return None

    def close(self) -> None:
        """Whatever ended the run: its status, the instruments' last values, the event file."""
        self.status["finished"] = _now()
        _write_json(self.run_dir / "status.json", self.status)
        self.bar.close()
        self.inst.close()  # writes the instruments' last pending values
        for tag, points in self.inst.records.items():  # step scalars went through the instruments
            self.history.scalars[tag] = sorted(self.history.scalars.get(tag, []) + points, key=lambda p: p[0])
        self.writer.close()


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
