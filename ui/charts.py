"""Plotly figures of a run's curves with the findings' evidence drawn on them. No Streamlit here.

Each finding's evidence is drawn on the chart that carries its tag: the window as a shaded
band, the onset as a dashed vertical line, and the threshold as a horizontal line when the
rule states the level it judged against on the curve itself (`Evidence.marks["level"]`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from diagnostics.messages import render as words
from diagnostics.model import Evidence, Finding, Report, Severity
from diagnostics.rundata import RunData
from ui import chart_style
from ui import curve_math as cm
from ui.curve_traces import MAX_POINTS, Curve, add_curves, y_layout
from ui.curve_view import STEP, View, XAxis, x_axis
from ui.i18n import t

SEVERITY_COLOR = {
    Severity.CRITICAL: "#c0392b", Severity.WARNING: "#e67e22", Severity.INFO: "#2980b9",
}


@dataclass(frozen=True)
class ChartSpec:
    id: str
    tags: tuple[str, ...] = ()  # fixed canonical tags, drawn in this order
    family: str = ""  # or a per-layer family: every `family/<layer>` plus `family/total`
    log_y: bool = False
    detail: bool = False  # no rule reads it: drawn on request, unless a finding's evidence is on it


SPECS = (
    ChartSpec("loss", tags=("train/loss", "val/loss")),
    ChartSpec("acc", tags=("train/acc", "val/acc")),
    ChartSpec("metric", tags=("val/metric",)),  # mAP, mIoU, F1...: what a detector is judged by
    ChartSpec("lr", tags=("opt/lr",), log_y=True),  # schedules span decades; a constant shows its value
    ChartSpec("grad_norm", family="grad_norm", log_y=True),  # exploding/vanishing span decades
    ChartSpec("dead_frac", family="dead_frac"),
    ChartSpec("update_ratio", family="update_ratio", log_y=True, detail=True),
    ChartSpec("weight_norm", family="weight_norm", detail=True),
)

def spec_series(run: RunData, spec: ChartSpec) -> dict[str, pd.Series]:
    """canonical tag -> series, for the tags of one chart that the run has."""
    if spec.family:
        out = {f"{spec.family}/{layer}": s for layer, s in run.layers(spec.family).items()}
        total = run.scalar(f"{spec.family}/total")
        if total is not None and len(total):
            out = {f"{spec.family}/total": total, **out}
        return out
    return {tag: s for tag in spec.tags if (s := run.scalar(tag)) is not None and len(s)}


def thin(series: pd.Series, max_points: int = MAX_POINTS) -> pd.Series:
    """At most ~max_points points, keeping each bucket's min and max so spikes stay visible;
    infinities become gaps (JSON has no inf)."""
    values = cm.drawable(series.to_numpy(dtype=np.float64))
    return pd.Series(values, index=series.index).iloc[cm.thin_positions(values, max_points)]


def threshold_level(ev: Evidence) -> float | None:
    """The threshold as a y value on the evidence's curve: the rules put it in `marks["level"]`.

    Only there: a statistic such as "rise above minimum" has a threshold (0.1) that is not a
    level on the curve at all, and drawing it as one would point at a meaningless loss.
    """
    level = ev.marks.get("level")
    return float(level) if level is not None and math.isfinite(level) else None


def _label(canonical: str, spec: ChartSpec, run: RunData) -> str:
    name = canonical.split("/", 1)[1] if spec.family else canonical
    originals = run.originals_for(canonical)
    return name if originals == [canonical] or not originals else f"{name} ({originals[0]})"


def curves_of(run: RunData, spec: ChartSpec, series: dict[str, pd.Series]) -> list[Curve]:
    """One `Curve` per series, coloured by role (train, val, lr, total) or by layer position."""
    layers = 0
    out = []
    for canonical, s in series.items():
        out.append(Curve(_label(canonical, spec, run), s.index.to_numpy(), s.to_numpy(np.float64),
                         chart_style.color(canonical, layers)))
        layers += chart_style.role(canonical) is None
    return out


def has_evidence(run: RunData, spec: ChartSpec, findings: Iterable[Finding]) -> bool:
    """Whether a finding's evidence is drawn on this chart."""
    tags = set(spec_series(run, spec))
    return any(e.tag in tags for f in findings for e in f.evidence)


def evidence_steps(findings: Iterable[tuple[int, Finding]], tags: Iterable[str]) -> list[float]:
    """Onsets and window edges on these tags: kept in the drawn (downsampled) data."""
    tags = set(tags)
    out: list[float] = []
    for _, f in findings:
        evidence = [e for e in f.evidence if e.tag in tags]
        out += [s for e in evidence for s in e.steps]
        if evidence and f.onset_step is not None:
            out.append(f.onset_step)
    return out


def figure(run: RunData, spec: ChartSpec, findings: Iterable[tuple[int, Finding]],
           lang: str, view: View = View(), axis: XAxis | None = None) -> go.Figure | None:
    series = spec_series(run, spec)
    if not series:
        return None
    axis = axis or x_axis(run, view)
    findings = list(findings)
    curves = curves_of(run, spec, series)
    fig = chart_style.new_figure()
    add_curves(fig, curves, axis, view.smoothing, lang, evidence_steps(findings, series))
    steps = axis.convert(np.concatenate([s.index.to_numpy(dtype=np.float64) for s in series.values()]))
    middle = (steps.min() + steps.max()) / 2 if steps.size else 0.0
    marks = Marks()
    for number, f in findings:
        _draw_finding(marks, number, f, [e for e in f.evidence if e.tag in series], lang, middle,
                      axis)
    fig.update_layout(**marks.layout())
    levels = [lv for _, f in findings for e in f.evidence
              if e.tag in series and (lv := threshold_level(e)) is not None]
    y_layout(fig, curves, axis, log=view.log, default_log=spec.log_y,
             robust=view.robust, lang=lang, include=levels)
    lay_out(fig, t(f"chart_{spec.id}", lang), lang, x=axis.title)  # last: it counts the traces
    return fig


@dataclass
class Marks:
    """Shapes and their labels, as plotly's add_vrect / add_hline / add_vline would lay them
    out, set on the figure in one update: those helpers take 50 ms each (7 charts of a run
    with one finding: 0.3 s of a 0.5 s page on a loaded box)."""
    shapes: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)

    def vrect(self, x0: float, x1: float, color: str, label: str = "", right: bool = False) -> None:
        self.shapes.append(dict(type="rect", x0=x0, x1=x1, xref="x", y0=0, y1=1, yref="y domain",
                                fillcolor=color, opacity=0.12, line=dict(width=0)))
        if label:  # a second finding's title a line lower than the first's, not over it
            below = sum(a["yanchor"] == "top" and a["yref"] == "y domain" for a in self.annotations)
            self.annotations.append(dict(text=label, font=dict(size=11), showarrow=False,
                                         x=x1 if right else x0, xref="x", xanchor="right" if right else "left",
                                         y=1, yref="y domain", yanchor="top", yshift=-15 * below))

    def hline(self, y: float, color: str, label: str) -> None:
        self.shapes.append(dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y",
                                line=dict(color=color, dash="dot")))
        self.annotations.append(dict(text=label, font=dict(size=10), showarrow=False, x=1,
                                     xref="x domain", xanchor="right", y=y, yref="y", yanchor="top"))

    def vline(self, x: float, color: str, label: str) -> None:
        self.shapes.append(dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain",
                                line=dict(color=color, dash="dash")))
        above = sum(a["yanchor"] == "bottom" for a in self.annotations)  # onsets: a line apart
        self.annotations.append(dict(text=label, font=dict(size=10), showarrow=False, x=x,
                                     xref="x", xanchor="left", y=0, yref="y domain", yanchor="bottom",
                                     yshift=13 * above))

    def layout(self) -> dict:
        return {k: v for k, v in (("shapes", self.shapes), ("annotations", self.annotations)) if v}


def _draw_finding(marks: Marks, number: int, f: Finding, evidence: list[Evidence], lang: str,
                  middle: float, axis: XAxis = STEP) -> None:
    """Windows shaded, thresholds dotted, the onset dashed. The finding's title labels its first
    window only (two labels of one finding overlap), on the side of the window facing the
    middle of the chart: plotly widens the x axis to fit a label that runs past the data."""
    if not evidence:
        return
    color = SEVERITY_COLOR.get(f.severity, "#7f8c8d")
    labelled = False
    for ev in evidence:
        start, end = (float(v) for v in axis.convert(np.array(ev.steps)))
        if end > start:
            marks.vrect(start, end, color, "" if labelled else f"{number}. {words(f.title, lang)}",
                        right=start >= middle)
            labelled = True
        level = threshold_level(ev)
        if level is not None:
            marks.hline(level, color, f"{t('threshold', lang)} {level:.3g}")
    if f.onset_step is not None:
        marks.vline(float(axis.convert(np.array([f.onset_step]))[0]), color, f"{number}. {t('onset', lang)}")


# Margins as plotly ends up widening them to (tick labels, the x title, a legend row), set
# from the start: each widening redraws the chart, which took 60 % of drawing a run's seven
# charts in Chromium (2.6-3.5 s of CPU on a loaded box; 0.8-1.3 s without). A wider label or
# a longer legend still widens them, as before.
LEFT, BOTTOM, LEGEND_ROW, LEGEND_WIDTH = 56, 65, 21, 430


def bottom_margin(fig: go.Figure, showlegend: object = None) -> int:
    """Room under the plot: the x axis and its title, plus the legend's rows at a half-page
    chart's width. Plotly draws a legend when a trace is in it and there are two traces or
    more, counting those kept out of it (a raw curve behind its smoothed one, marks)."""
    names = [str(d.name) for d in fig.data if d.showlegend is not False and d.name]
    if showlegend is False or not names or len(fig.data) < 2:
        return BOTTOM
    rows, used = 1, 0
    for name in names:
        width = 40 + 7 * len(name)
        if used and used + width > LEGEND_WIDTH:
            rows, used = rows + 1, 0
        used += width
    return BOTTOM + 29 + 19 + LEGEND_ROW * (rows - 1)


def lay_out(fig: go.Figure, title: str, lang: str, *, x: str = "step", height: int = 340,
            **more: object) -> None:
    """Every chart's frame: title, size, margins, the x axis's name, the legend underneath
    (below the axis title, not on it). Called once every trace is on the figure."""
    fig.update_layout(title=title, height=height,
                      margin=dict(l=LEFT, r=10, t=50, b=bottom_margin(fig, more.get("showlegend"))),
                      legend=dict(orientation="h", yanchor="top", y=-0.42), xaxis_title=t(x, lang),
                      # plotly otherwise measures every tick label against every other, at each
                      # label (n² layouts a draw) to hide one that would run past the chart
                      xaxis_ticklabeloverflow="allow", yaxis_ticklabeloverflow="allow", **more)


def other_tags(run: RunData) -> list[str]:
    """Scalar tags no chart above shows (unmapped: mAP, rewards, a loss component...), with
    at least two points, sorted by name."""
    counts = run.scalars.groupby("tag", observed=True).size()
    return sorted(str(tag) for tag, n in counts.items() if n >= 2 and not run.tag_map.get(str(tag)))


def other_figure(run: RunData, tag: str, lang: str, view: View = View(),
                 axis: XAxis | None = None) -> go.Figure:
    """One unmapped scalar tag, as logged (the last write of a step wins, as everywhere)."""
    series = run.original(tag)
    axis = axis or x_axis(run, view)
    curves = [Curve(tag, series.index.to_numpy(), series.to_numpy(np.float64), chart_style.palette(0))]
    fig = chart_style.new_figure()
    add_curves(fig, curves, axis, view.smoothing, lang)
    y_layout(fig, curves, axis, log=view.log, robust=view.robust, lang=lang)
    lay_out(fig, tag, lang, x=axis.title, height=260, showlegend=False)
    return fig


def figures(run: RunData, report: Report, lang: str, view: View = View()) -> list[tuple[str, go.Figure]]:
    """(chart id, figure) for every chart the run has data for; findings numbered as listed."""
    numbered = list(enumerate(report.findings, start=1))
    axis = x_axis(run, view)
    out = []
    for spec in SPECS:
        fig = figure(run, spec, numbered, lang, view, axis)
        if fig is not None:
            out.append((spec.id, fig))
    return out
