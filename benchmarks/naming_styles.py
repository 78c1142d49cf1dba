"""Re-write one of our runs as other programs would have logged it, with a real SummaryWriter.

    run = load("path/to/our/run").runs[0]          # diagnostics.reader: RunData frames
    rewrite(run, "out/hf", "hf")                   # -> a logdir in Hugging Face Trainer's names

The benchmark (`benchmarks/quality.py`) scores every trained run under each style, so the
rules are measured on the names people actually log, not only on our canonical tags. Values
are our run's, re-written with `torch.utils.tensorboard.SummaryWriter` (scalars with
`add_scalar` at the same steps and wall times, histograms with `add_histogram_raw` from the
reader's bucket frames); what a style does not log is left out (not invented).

Styles (what each writes; `<i>` is the layer's index in the model's nn.Sequential, as a
model built from a plain Sequential names its parameters):

hf         Hugging Face Trainer (`runs/<run>/`): `train/loss`, `train/learning_rate`,
           `train/grad_norm` (total only), `train/epoch` (fractional) at the logging steps;
           `eval/loss`, `eval/accuracy`, `train/epoch` at each epoch's end; `train/train_loss`
           and `train/train_runtime` once at the end; the args as text. No train accuracy and
           no per-layer data.
keras      Keras TensorBoard callback, update_freq="epoch": `train/` and `validation/`
           sub-folders, steps are 0-based epoch indices; `epoch_loss`, `epoch_accuracy` (the
           mean of the epoch's logged batch values: the callback logs the epoch's running
           mean, our files hold samples of it), `epoch_learning_rate` (train side only). No
           per-layer data (the callback's weight histograms are optional; we log no weights).
lightning  PyTorch Lightning TensorBoardLogger (`lightning_logs/version_0/`): `train_loss_step`
           at the logging steps, `train_loss_epoch` (mean of the epoch's logged values),
           `val_loss`, `val_acc` at each epoch's end step, `lr-<Optimizer>` from
           LearningRateMonitor, `grad_2.0_norm/model.<i>.weight` per parameter and
           `grad_2.0_norm_total` (Lightning's `grad_norm` utility), `epoch`, plus hparams and
           `hp_metric`. Bias parameters are not in our files, so only weights are written.
tutorial   A hand-written loop from a tutorial (`runs/<run>/`): `Loss/train`, `Accuracy/train`,
           `Loss/val`, `Accuracy/val`, `lr`; per layer `grad_norm/net.<i>.weight` scalars,
           `gradients/net.<i>.weight` histograms (`add_histogram(f"gradients/{name}",
           p.grad)`) and `activations/fc<k>` histograms (a forward hook's output of block k).

Our style (the trainer's own files) is not re-written: it is the run itself.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.rundata import RunData

STYLES = ("hf", "keras", "lightning", "tutorial")
TITLES = {
    "ours": "our trainer's own tags",
    "hf": "Hugging Face Trainer names",
    "keras": "Keras callback names (train/ + validation/, per epoch)",
    "lightning": "PyTorch Lightning names",
    "tutorial": "tutorial names (Loss/train, gradients/net.0.weight, activations/fc1)",
}
_OPTIMIZER_CLASS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def version() -> str:
    """A digest of this file: a changed re-writer re-writes the cached styles."""
    import hashlib
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8]


# ---- reading our run ----------------------------------------------------------------------
def points(run: RunData, tag: str) -> pd.DataFrame:
    """step, value, wall_time of one original tag; one row per step (the last write wins)."""
    frame = run.scalars[run.scalars["tag"] == tag]
    frame = frame.sort_values("wall_time", kind="stable").drop_duplicates("step", keep="last")
    return frame.sort_values("step", kind="stable")[["step", "value", "wall_time"]].reset_index(drop=True)


def histograms(run: RunData, tag: str) -> list[tuple[int, float, np.ndarray]]:
    """(step, wall_time, k x 3 array of left, right, count) per logged histogram of a tag."""
    frame = run.histograms[run.histograms["tag"] == tag]
    out = []
    for (step, wall), rows in frame.groupby(["step", "wall_time"], sort=True):
        out.append((int(step), float(wall), rows[["left", "right", "count"]].to_numpy(np.float64)))
    return out


def layer_tags(run: RunData, family: str, *, histogram: bool = False) -> dict[str, str]:
    """layer -> original tag of our family `<family>/<layer>` (e.g. grad_norm/fc1)."""
    tags = run.histograms["tag"].unique() if histogram else run.scalars["tag"].unique()
    prefix = family + "/"
    return {str(t)[len(prefix):]: str(t) for t in tags
            if str(t).startswith(prefix) and str(t)[len(prefix):] != "total"}


def steps_per_epoch(run: RunData) -> int:
    """From the epoch-end steps of val/loss (steps done when the epoch ended)."""
    val = points(run, "val/loss")
    if len(val):
        first = int(val["step"].iloc[0])
        if first > 0:
            return first
    cfg = run.config or {}
    return max(1, int(cfg.get("total_steps", 0)) // max(1, int(cfg.get("epochs", 1)))) or 1


def sequential_index(config: Mapping[str, Any] | None) -> dict[str, int]:
    """Our layer names (fc1, act1, out, ...) -> their index in the model's nn.Sequential,
    i.e. the names a model built from a plain Sequential would give (`0`, `1`, ...)."""
    from trainers.config import TrainConfig
    from trainers.models import build_model

    try:
        cfg = TrainConfig.from_dict(dict(config or {}))
    except Exception:  # not ours: keep the names
        return {}
    shape = (1, 8, 8) if cfg.model == "cnn" else (2,)
    model = build_model(cfg, shape, 10)
    return {name: i for i, (name, _) in enumerate(model.named_children())}


def _block_name(act: str, config: Mapping[str, Any] | None) -> str:
    """act3 -> fc3 (conv3 in a CNN): the block whose output a tutorial's forward hook records."""
    base, _, call = act.partition("#")
    digits = "".join(ch for ch in base if ch.isdigit())
    kind = "conv" if (config or {}).get("model") == "cnn" else "fc"
    return (f"{kind}{digits}" if digits else base) + (f"#{call}" if call else "")


def epoch_means(frame: pd.DataFrame, spe: int) -> pd.DataFrame:
    """Per 0-based epoch: mean value of the points logged within it, and the last wall time
    (NaN/inf stay: a diverged epoch's mean is not finite, as a callback's would be)."""
    if frame.empty:
        return pd.DataFrame(columns=["epoch", "value", "wall_time"])
    epochs = frame["step"].to_numpy() // spe
    grouped = frame.assign(epoch=epochs).groupby("epoch", sort=True)
    out = pd.DataFrame({"value": grouped["value"].apply(lambda v: float(np.mean(v.to_numpy()))),
                        "wall_time": grouped["wall_time"].max()}).reset_index()
    return out


# ---- writing ----------------------------------------------------------------------------
def _writer(folder: Path, **kwargs):
    from torch.utils.tensorboard import SummaryWriter
    folder.mkdir(parents=True, exist_ok=True)
    return SummaryWriter(str(folder), flush_secs=120, **kwargs)


def _scalars(writer, tag: str, frame: pd.DataFrame, *, step_of=None, value_of=None) -> None:
    for step, value, wall in frame[["step", "value", "wall_time"]].itertuples(index=False):
        writer.add_scalar(tag, float(value_of(step, value) if value_of else value),
                          int(step_of(step) if step_of else step), walltime=float(wall),
                          new_style=False)


def _histograms(writer, tag: str, hists: list[tuple[int, float, np.ndarray]]) -> None:
    for step, wall, rows in hists:
        if not len(rows):
            continue
        left, right, count = rows[:, 0], rows[:, 1], rows[:, 2]
        mid = (left + right) / 2  # the exact sums are not in the buckets
        writer.add_histogram_raw(
            tag, min=float(left[0]), max=float(right[-1]), num=float(count.sum()),
            sum=float((mid * count).sum()), sum_squares=float((mid * mid * count).sum()),
            bucket_limits=right.tolist(), bucket_counts=count.tolist(), global_step=step,
            walltime=wall)


def rewrite(run: RunData, out: str | os.PathLike, style: str) -> Path:
    """Write `run` under `out` in `style`'s names; returns `out`. `out` must not hold event
    files yet (a re-write is a new logdir)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    out = Path(out)
    if out.exists() and any(out.rglob("*tfevents*")):
        raise FileExistsError(f"{out} already holds event files")
    {"hf": _hf, "keras": _keras, "lightning": _lightning, "tutorial": _tutorial}[style](run, out)
    return out


def _hf(run: RunData, out: Path) -> None:
    spe = steps_per_epoch(run)
    cfg = run.config or {}
    w = _writer(out / "runs" / "Nov30_10-00-00_trainer")
    args = {"learning_rate": cfg.get("lr"), "num_train_epochs": cfg.get("epochs"),
            "per_device_train_batch_size": cfg.get("batch_size"), "weight_decay": cfg.get("weight_decay"),
            "lr_scheduler_type": {"cosine": "cosine", "step": "step"}.get(cfg.get("lr_schedule"), "constant"),
            "warmup_steps": int(cfg.get("lr_warmup_epochs", 0) or 0) * spe, "seed": cfg.get("seed"),
            "logging_steps": cfg.get("log_every")}
    w.add_text("args", json.dumps(args, indent=2), 0)
    loss = points(run, "train/loss")
    epoch_at = {}
    for tag, name in (("train/loss", "train/loss"), ("opt/lr", "train/learning_rate"),
                      ("grad_norm/total", "train/grad_norm")):
        frame = points(run, tag)
        _scalars(w, name, frame)
        epoch_at.update({int(s): float(t) for s, t in zip(frame["step"], frame["wall_time"])})
    val = points(run, "val/loss")
    _scalars(w, "eval/loss", val)
    _scalars(w, "eval/accuracy", points(run, "val/acc"))
    epoch_at.update({int(s): float(t) for s, t in zip(val["step"], val["wall_time"])})
    for step, wall in sorted(epoch_at.items()):
        w.add_scalar("train/epoch", round(step / spe, 4), step, walltime=wall, new_style=False)
    if len(loss):
        end = int(max([*epoch_at, int(loss["step"].iloc[-1])]))
        wall = float(loss["wall_time"].max())
        w.add_scalar("train/train_loss", float(np.mean(loss["value"])), end, walltime=wall, new_style=False)
        w.add_scalar("train/train_runtime", wall - float(loss["wall_time"].min()), end, walltime=wall,
                     new_style=False)
    w.close()


def _keras(run: RunData, out: Path) -> None:
    spe = steps_per_epoch(run)
    train = _writer(out / "train", filename_suffix=".v2")
    for tag, name in (("train/loss", "epoch_loss"), ("train/acc", "epoch_accuracy")):
        frame = epoch_means(points(run, tag), spe)
        for epoch, value, wall in frame[["epoch", "value", "wall_time"]].itertuples(index=False):
            train.add_scalar(name, float(value), int(epoch), walltime=float(wall), new_style=False)
    lr = points(run, "opt/lr")
    if len(lr):
        first = lr.assign(epoch=lr["step"] // spe).drop_duplicates("epoch", keep="first")
        for epoch, value, wall in first[["epoch", "value", "wall_time"]].itertuples(index=False):
            train.add_scalar("epoch_learning_rate", float(value), int(epoch), walltime=float(wall),
                             new_style=False)
    train.close()
    val = _writer(out / "validation", filename_suffix=".v2")
    for tag, name in (("val/loss", "epoch_loss"), ("val/acc", "epoch_accuracy")):
        _scalars(val, name, points(run, tag), step_of=lambda s: max(0, math.ceil(s / spe) - 1))
    val.close()


def _lightning(run: RunData, out: Path) -> None:
    from torch.utils.tensorboard.summary import hparams

    spe = steps_per_epoch(run)
    cfg = run.config or {}
    index = sequential_index(cfg)
    w = _writer(out / "lightning_logs" / "version_0")
    hp = {k: cfg[k] for k in ("lr", "optimizer", "batch_size", "width", "depth", "weight_decay",
                              "activation", "epochs") if k in cfg}
    for summary in hparams(hp, {"hp_metric": -1}):
        w.file_writer.add_summary(summary)
    loss = points(run, "train/loss")
    first_wall = float(loss["wall_time"].min()) if len(loss) else None
    w.add_scalar("hp_metric", -1.0, 0, walltime=first_wall, new_style=False)
    _scalars(w, "train_loss_step", loss)
    val = points(run, "val/loss")
    means = epoch_means(loss, spe)
    for epoch, value, wall in means[["epoch", "value", "wall_time"]].itertuples(index=False):
        at = val[val["step"] == (epoch + 1) * spe]  # logged with the epoch's end (the val step)
        step = (epoch + 1) * spe if len(at) else int(loss[loss["step"] // spe == epoch]["step"].max())
        w.add_scalar("train_loss_epoch", float(value), int(step), walltime=float(wall), new_style=False)
    _scalars(w, "val_loss", val)
    _scalars(w, "val_acc", points(run, "val/acc"))
    opt = _OPTIMIZER_CLASS.get(str(cfg.get("optimizer", "adam")), "Adam")
    _scalars(w, f"lr-{opt}", points(run, "opt/lr"))
    logged: dict[int, float] = {}
    for layer, tag in layer_tags(run, "grad_norm").items():
        frame = points(run, tag)
        _scalars(w, f"grad_2.0_norm/model.{index.get(layer, layer)}.weight", frame)
        logged.update(zip(frame["step"].astype(int), frame["wall_time"]))
    total = points(run, "grad_norm/total")
    _scalars(w, "grad_2.0_norm_total", total)
    logged.update(zip(total["step"].astype(int), total["wall_time"]))
    logged.update(zip(loss["step"].astype(int), loss["wall_time"]))
    logged.update(zip(val["step"].astype(int), val["wall_time"]))
    for step, wall in sorted(logged.items()):  # Lightning logs `epoch` with every logged step
        epoch = step // spe if step not in set(val["step"]) else step // spe - 1
        w.add_scalar("epoch", float(max(0, epoch)), int(step), walltime=float(wall), new_style=False)
    w.close()


def _tutorial(run: RunData, out: Path) -> None:
    index = sequential_index(run.config)
    w = _writer(out / "runs" / "Nov30_10-00-00_host")
    for tag, name in (("train/loss", "Loss/train"), ("train/acc", "Accuracy/train"),
                      ("val/loss", "Loss/val"), ("val/acc", "Accuracy/val"), ("opt/lr", "lr")):
        _scalars(w, name, points(run, tag))
    for layer, tag in layer_tags(run, "grad_norm").items():
        _scalars(w, f"grad_norm/net.{index.get(layer, layer)}.weight", points(run, tag))
    for layer, tag in layer_tags(run, "grad", histogram=True).items():
        _histograms(w, f"gradients/net.{index.get(layer, layer)}.weight", histograms(run, tag))
    for act, tag in layer_tags(run, "act", histogram=True).items():
        _histograms(w, f"activations/{_block_name(act, run.config)}", histograms(run, tag))
    w.close()
