"""Plotly figures of a run's curves with the findings' evidence drawn on them. No Streamlit here.

Each finding's evidence is drawn on the chart that carries its tag: the window as a shaded
band, the onset as a dashed vertical line, and the threshold as a horizontal line when the
rule states the level it judged against on the curve itself (`Evidence.marks["level"]`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from diagnostics.model import Evidence, Finding, Report, Severity
from diagnostics.rundata import RunData
from ui.i18n import t

# Per trace: one min/max pair per pixel column of a half-width chart; more only slows the browser.
MAX_POINTS = 1200

SEVERITY_COLOR = {
    Severity.CRITICAL: "#c0392b", Severity.WARNING: "#e67e22", Severity.INFO: "#2980b9",
}


@dataclass(frozen=True)
class ChartSpec:
    id: str
    tags: tuple[str, ...] = ()  # fixed canonical tags, drawn in this order
    family: str = ""  # or a per-layer family: every `family/<layer>` plus `family/total`
    log_y: bool = False


SPECS = (
    ChartSpec("loss", tags=("train/loss", "val/loss")),
    ChartSpec("acc", tags=("train/acc", "val/acc")),
    ChartSpec("metric", tags=("val/metric",)),  # mAP, mIoU, F1...: what a detector is judged by
    ChartSpec("lr", tags=("opt/lr",), log_y=True),  # schedules span decades; a constant shows its value
    ChartSpec("grad_norm", family="grad_norm", log_y=True),  # exploding/vanishing span decades
    ChartSpec("dead_frac", family="dead_frac"),
    ChartSpec("update_ratio", family="update_ratio", log_y=True),
    ChartSpec("weight_norm", family="weight_norm"),
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
    """At most ~max_points points, keeping each bucket's min and max so spikes stay visible."""
    values = series.to_numpy(dtype=np.float64)
    values = np.where(np.isfinite(values), values, np.nan)  # JSON has no inf; NaN draws a gap
    series = pd.Series(values, index=series.index)
    if len(series) <= max_points:
        return series
    buckets = np.arange(len(series)) * (max_points // 2) // len(series)
    positional = pd.Series(values)
    keep = pd.concat([positional.groupby(buckets).idxmin(), positional.groupby(buckets).idxmax()])
    keep = np.unique(keep.dropna().to_numpy(dtype=np.int64))
    return series.iloc[keep]


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


def figure(run: RunData, spec: ChartSpec, findings: Iterable[tuple[int, Finding]],
           lang: str) -> go.Figure | None:
    series = spec_series(run, spec)
    if not series:
        return None
    fig = go.Figure()
    for canonical, s in series.items():
        shown = thin(s)
        fig.add_scatter(x=shown.index.to_numpy(), y=shown.to_numpy(), mode="lines",
                        name=_label(canonical, spec, run))
    steps = np.concatenate([s.index.to_numpy(dtype=np.float64) for s in series.values()])
    middle = (steps.min() + steps.max()) / 2 if steps.size else 0.0
    for number, f in findings:
        _draw_finding(fig, number, f, [e for e in f.evidence if e.tag in series], lang, middle)
    lay_out(fig, t(f"chart_{spec.id}", lang), lang)
    fig.update_yaxes(**y_axis(series.values(), spec.log_y))
    return fig


def y_axis(series: Iterable[pd.Series], log_y: bool) -> dict:
    """The y axis of a chart: log only where the curves span a decade or more, with readable
    ticks. Plotly's own log ticks label the minor 2× and 5× ticks with a bare "2", "5" over a
    narrow range (a constant lr of 0.001 shows "2 5 2 5"), so the ticks are chosen here."""
    values = np.concatenate([s.to_numpy(dtype=np.float64) for s in series] or [np.empty(0)])
    values = values[np.isfinite(values)]
    if not len(values):
        return dict(type="linear")
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-9 * max(abs(hi), abs(lo)):  # constant (a fixed lr): plotly would centre
        pad = abs(hi) * 0.5 or 1.0  # it in a ±1 range, so 0.001 would read as 0; frame it
        return dict(type="linear", range=[lo - pad, hi + pad], exponentformat="e")
    if not log_y or lo <= 0:
        return dict(type="linear")
    decades = math.log10(hi / lo)
    if decades < 1:  # under a decade: a linear axis reads the values directly
        return dict(type="linear", exponentformat="e")
    if decades >= 2:  # at least two whole decades in view: one tick each, as powers of ten
        return dict(type="log", dtick=1, exponentformat="power")
    # One to two decades: 1, 2 and 5 of each decade, every one written out.
    ticks = [m * 10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in (1, 2, 5) if lo <= m * 10.0 ** k <= hi]
    return dict(type="log", tickvals=ticks, tickformat=".0e")


def _draw_finding(fig: go.Figure, number: int, f: Finding, evidence: list[Evidence], lang: str,
                  middle: float) -> None:
    """Windows shaded, thresholds dotted, the onset dashed. The finding's title labels its first
    window only (two labels of one finding overlap), on the side of the window facing the
    middle of the chart: plotly widens the x axis to fit a label that runs past the data."""
    if not evidence:
        return
    color = SEVERITY_COLOR.get(f.severity, "#7f8c8d")
    labelled = False
    for ev in evidence:
        start, end = ev.steps
        if end > start:
            label = {} if labelled else dict(
                annotation_text=f"{number}. {f.title}", annotation_font_size=11,
                annotation_position="top left" if start < middle else "top right")
            fig.add_vrect(x0=start, x1=end, fillcolor=color, opacity=0.12, line_width=0, **label)
            labelled = True
        level = threshold_level(ev)
        if level is not None:
            fig.add_hline(y=level, line_dash="dot", line_color=color,
                          annotation_text=f"{t('threshold', lang)} {level:.3g}",
                          annotation_position="bottom right", annotation_font_size=10)
    if f.onset_step is not None:
        fig.add_vline(x=f.onset_step, line_dash="dash", line_color=color,
                      annotation_text=f"{number}. {t('onset', lang)}", annotation_position="bottom right",
                      annotation_font_size=10)


def lay_out(fig: go.Figure, title: str, lang: str, *, x: str = "step", height: int = 340,
            **more: object) -> None:
    """Every chart's frame: title, size, margins, the x axis's name, the legend underneath
    (below the axis title, not on it)."""
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.42), xaxis_title=t(x, lang),
                      **more)


def runs_overlay(runs: Iterable[tuple[str, RunData]], canonical: str, lang: str) -> go.Figure | None:
    """One canonical tag of several runs on one chart, each run its own line (the runs
    picked together on the Diagnose page); None when none of them has it."""
    fig = go.Figure()
    for label, run in runs:
        series = run.scalar(canonical)
        if series is not None and len(series):
            shown = thin(series)
            fig.add_scatter(x=shown.index.to_numpy(), y=shown.to_numpy(), mode="lines", name=label)
    if not fig.data:
        return None
    lay_out(fig, canonical, lang)
    return fig


def other_tags(run: RunData) -> list[str]:
    """Scalar tags no chart above shows (unmapped: mAP, rewards, a loss component...), with
    at least two points, sorted by name."""
    counts = run.scalars.groupby("tag", observed=True).size()
    return sorted(str(tag) for tag, n in counts.items() if n >= 2 and not run.tag_map.get(str(tag)))


def other_figure(run: RunData, tag: str, lang: str) -> go.Figure:
    """One unmapped scalar tag, as logged (the last write of a step wins, as everywhere)."""
    series = run.original(tag)
    shown = thin(series)
    fig = go.Figure()
    fig.add_scatter(x=shown.index.to_numpy(), y=shown.to_numpy(), mode="lines", name=tag)
    lay_out(fig, tag, lang, height=260, showlegend=False)
    fig.update_yaxes(**y_axis([series], log_y=False))
    return fig


def figures(run: RunData, report: Report, lang: str) -> list[tuple[str, go.Figure]]:
    """(chart id, figure) for every chart the run has data for; findings numbered as listed."""
    numbered = list(enumerate(report.findings, start=1))
    out = []
    for spec in SPECS:
        fig = figure(run, spec, numbered, lang)
        if fig is not None:
            out.append((spec.id, fig))
    return out
