"""How the user wants curves drawn (smoothing, log y, x axis, robust range) and the x axes a run
can offer: step, epoch, relative wall time. No Streamlit here (ui/chart_controls draws the
widgets that fill a `View`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics.rundata import RunData

X_CHOICES = ("step", "epoch", "wall")
LOG_CHOICES = ("auto", "linear", "log")
# Original tags that carry the epoch at each step (Lightning, Hugging Face Trainer, ours).
EPOCH_TAGS = ("epoch", "train/epoch", "trainer/epoch", "epoch/epoch")
WALL_UNITS = (("h", 3600.0), ("min", 60.0), ("s", 1.0))


@dataclass(frozen=True)
class View:
    smoothing: float = 0.0  # TensorBoard's EMA weight; 0 = raw
    x: str = "step"  # one of X_CHOICES
    robust: bool = True  # y range from quantiles; outliers marked at the edge
    log: str = "auto"  # one of LOG_CHOICES, for every chart (each chart can flip its own in place)


@dataclass(frozen=True)
class XAxis:
    """Maps steps to what the x axis shows; `title` is an i18n key."""
    kind: str
    title: str
    convert: Callable[[np.ndarray], np.ndarray]


STEP = XAxis("step", "step", lambda s: np.asarray(s, dtype=np.float64))


def epoch_map(run: RunData) -> Callable[[np.ndarray], np.ndarray] | None:
    """step -> epoch: from a logged epoch tag, else from evaluations at a regular interval
    that starts at that interval (one evaluation per epoch); None when it cannot be told."""
    for tag in EPOCH_TAGS:
        if tag in run.tag_map:
            s = run.original(tag).dropna()
            if len(s) >= 2 and s.is_monotonic_increasing and s.iloc[-1] > s.iloc[0]:
                steps, epochs = spread_epochs(s.index.to_numpy(np.float64), s.to_numpy(np.float64))
                return lambda x: np.interp(np.asarray(x, np.float64), steps, epochs)
    for canonical in ("val/loss", "val/metric", "val/acc"):
        s = run.scalar(canonical)
        if s is None or len(s) < 2:
            continue
        gaps = np.diff(s.index.to_numpy(np.int64))
        per = int(gaps[0])
        if per > 1 and np.all(gaps == per) and int(s.index[0]) == per:
            return lambda x, per=per: np.asarray(x, np.float64) / per
    return None


def spread_epochs(steps: np.ndarray, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(step, epoch) knots to interpolate a step's epoch between.

    A fractional epoch (Hugging Face's 0.25, 0.5...) is its own knot. A whole epoch logged at
    many steps (Lightning's `epoch` at every logging step: 0, 0, 0, 1, 1...) would put every
    step of an epoch on one x, the curve drawn as vertical stacks; the steps are spread across
    their epoch instead. With as many steps in every epoch, counted from step 0, the change
    points bound that number (epoch e starts after the last step logged with e-1 and by the
    first logged with e): the middle of what all of them allow, within a logging interval
    divided by the epochs. Else each epoch starts at its first logged step, and the last one
    lasts as long as the one before it."""
    if not np.all(epochs == np.round(epochs)) or not np.any(np.diff(epochs) == 0):
        return steps, epochs
    new = np.flatnonzero(np.diff(epochs) > 0) + 1  # where an epoch's value first appears
    first, before, value = steps[new], steps[new - 1], epochs[new]
    if value.size and value.min() > 0:
        lo, hi = float(np.max((before + 1) / value)), float(np.min(first / value))  # whole steps
        if lo <= hi:
            per = (lo + hi) / 2
            whole = np.arange(epochs[0], epochs[-1] + 2)
            return whole * per, whole
    knot_steps = np.concatenate([steps[:1], first])
    knot_epochs = np.concatenate([epochs[:1], value])
    per = (knot_steps[-1] - knot_steps[-2]) / (knot_epochs[-1] - knot_epochs[-2])
    return np.append(knot_steps, knot_steps[-1] + per), np.append(knot_epochs, knot_epochs[-1] + 1)


def wall_map(run: RunData) -> tuple[Callable[[np.ndarray], np.ndarray], str] | None:
    """step -> time since the run's first event, from the wall_time the writer stamped, and
    its unit (s, min or h: whichever keeps the numbers readable)."""
    frame = run.scalars
    if frame.empty or frame["wall_time"].isna().all():
        return None
    first = frame.groupby("step")["wall_time"].min().dropna()
    if len(first) < 2 or first.iloc[-1] <= first.iloc[0]:
        return None
    steps = first.index.to_numpy(np.float64)
    seconds = np.maximum.accumulate(first.to_numpy(np.float64)) - float(first.min())
    unit, per = next((u, p) for u, p in WALL_UNITS if seconds[-1] >= 2 * p or u == "s")
    return (lambda x: np.interp(np.asarray(x, np.float64), steps, seconds / per)), unit


def x_axes(run: RunData) -> dict[str, XAxis]:
    """The x axes this run can be drawn on, step always first."""
    out = {"step": STEP}
    epoch = epoch_map(run)
    if epoch is not None:
        out["epoch"] = XAxis("epoch", "epoch", epoch)
    wall = wall_map(run)
    if wall is not None:
        out["wall"] = XAxis("wall", f"x_wall_{wall[1]}", wall[0])
    return out


def x_axis(run: RunData, view: View) -> XAxis:
    """The x axis the user chose, or steps when this run cannot offer it."""
    return x_axes(run).get(view.x, STEP)


def series_xy(series: pd.Series, axis: XAxis) -> tuple[np.ndarray, np.ndarray]:
    return axis.convert(series.index.to_numpy()), series.to_numpy(dtype=np.float64)
