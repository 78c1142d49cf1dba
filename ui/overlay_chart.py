"""Several runs' curves of one tag on one chart, on an x axis they share: by epoch when their
steps per epoch differ (a re-run with another batch size: a step is then a different amount
of data), each run's steps converted by its own epoch map (`curve_view.epoch_map`); relative
time in one unit for all. Drawn with the run charts' machinery (smoothing, robust range, log
ticks, hover naming the series). No Streamlit here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from diagnostics.rundata import RunData
from ui import chart_style
from ui.charts import lay_out
from ui.curve_traces import Curve, add_curves, y_layout
from ui.curve_view import STEP, WALL_UNITS, View, XAxis, epoch_map, wall_map, x_axes

DIFFER = 1.05  # steps per epoch further apart than this ratio are different batchings
FAINT_WIDTH, FAINT_OPACITY = 1.2, 0.55  # replicas behind the first seed of a side


@dataclass(frozen=True)
class Line:
    """One run on the chart: its legend name, its colour; `bold` False draws it faint."""
    label: str
    run: RunData
    color: str
    bold: bool = True


def steps_per_epoch(run: RunData) -> float | None:
    """Steps in one epoch as the run's epoch map tells it (at its last step), else None."""
    convert = epoch_map(run)
    if convert is None or run.scalars.empty:
        return None
    last = float(run.scalars["step"].max())
    epochs = float(convert(np.array([last]))[0])
    return last / epochs if last > 0 and epochs > 0 else None


def epochs_differ(runs: Sequence[RunData]) -> tuple[float, float] | None:
    """(fewest, most) steps per epoch when every run can tell its epochs and they differ."""
    per = [steps_per_epoch(r) for r in runs]
    if len(per) < 2 or any(p is None for p in per):
        return None
    lo, hi = min(per), max(per)
    return (lo, hi) if hi > lo * DIFFER else None


def common_axes(runs: Sequence[RunData]) -> dict[str, XAxis]:
    """The x axes every run offers (step always), as the first run's."""
    if not runs:
        return {"step": STEP}
    offered = [x_axes(r) for r in runs]
    return {k: a for k, a in offered[0].items() if all(k in o for o in offered)}


def default_x(runs: Sequence[RunData]) -> str:
    return "epoch" if epochs_differ(runs) else "step"


def shared_x(runs: Sequence[RunData], chosen: str) -> str:
    """Where no bar of its own is drawn (the Diagnose overview): the x axis the user chose,
    but epoch rather than step when steps per epoch differ; step when not every run has it."""
    if chosen == "step" and epochs_differ(runs):
        return "epoch"
    return chosen if chosen in common_axes(runs) else "step"


def converters(runs: Sequence[RunData], kind: str) -> tuple[list[Callable], str]:
    """Each run's step -> x function and the axis title (an i18n key); relative time in the
    one unit that keeps the longest run readable."""
    if kind == "epoch" and all(epoch_map(r) is not None for r in runs):
        return [epoch_map(r) for r in runs], "epoch"
    walls = [wall_map(r) for r in runs] if kind == "wall" else []
    if walls and all(w is not None for w in walls):
        per = dict(WALL_UNITS)
        seconds = [(lambda x, f=f, k=per[u]: f(x) * k) for f, u in walls]
        longest = max(float(s(np.array([float(r.scalars["step"].max())]))[0])
                      for s, r in zip(seconds, runs))
        unit, size = next((u, p) for u, p in WALL_UNITS if longest >= 2 * p or u == "s")
        return [(lambda x, s=s, size=size: s(x) / size) for s in seconds], f"x_wall_{unit}"
    return [STEP.convert for _ in runs], "step"


def overlay(lines: Sequence[Line], tag: str, lang: str, view: View = View(), x: str = "step",
            title: str | None = None) -> go.Figure | None:
    """One canonical tag of every line's run; None when none of them has it."""
    have = [(line, s) for line in lines if (s := line.run.scalar(tag)) is not None and len(s)]
    if not have:
        return None
    convert, x_title = converters([line.run for line, _ in have], x)
    # Each curve carries its x, converted by its own run's map; the axis only names it.
    axis = XAxis("step" if x_title == "step" else x, x_title, lambda v: np.asarray(v, dtype=np.float64))
    curves = [Curve(line.label, s.index.to_numpy(), s.to_numpy(np.float64), line.color,
                    x=f(s.index.to_numpy())) for (line, s), f in zip(have, convert)]
    fig = chart_style.new_figure()
    for (line, _), curve in zip(have, curves):
        first = len(fig.data)
        add_curves(fig, [curve], axis, view.smoothing, lang)
        if not line.bold:
            for trace in fig.data[first:]:
                trace.line.width = min(trace.line.width or FAINT_WIDTH, FAINT_WIDTH)
                trace.opacity = (trace.opacity if trace.opacity is not None else 1.0) * FAINT_OPACITY
    y_layout(fig, curves, axis, log=view.log, robust=view.robust, lang=lang)
    lay_out(fig, title or tag, lang, x=x_title)
    return fig


def runs_overlay(runs: Iterable[tuple[str, RunData]], canonical: str, lang: str,
                 view: View = View()) -> go.Figure | None:
    """The runs picked together on the Diagnose page, each its own colour, on one chart."""
    runs = list(runs)
    lines = [Line(label, run, chart_style.palette(i)) for i, (label, run) in enumerate(runs)]
    x = shared_x([run for _, run in runs], view.x)
    return overlay(lines, canonical, lang, view, x)
