"""Curves onto a plotly figure as a TensorBoard user expects them: raw faint behind the smoothed
line, downsampled for the browser with evidence points kept, a y axis a few outliers or an inf
cannot stretch (they are marked at the edge instead), readable log ticks. No Streamlit here.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ui import curve_math as cm
from ui.chart_style import CLIPPED_COLOR, hover
from ui.curve_view import XAxis
from ui.i18n import t

# Per trace: one min/max pair per pixel column of a full-width chart; more only slows the browser.
MAX_POINTS = 1600
MAX_MARKS = 200  # clipped points marked at the edge, per curve


@dataclass(frozen=True)
class Curve:
    """`steps`: the steps as logged (what labels name); `x`: where they are drawn when the
    caller converted them itself (an overlay of runs, each by its own epoch map), else the
    axis converts `steps`."""
    name: str
    steps: np.ndarray
    values: np.ndarray
    color: str
    x: np.ndarray | None = None

    def xs(self, axis: XAxis) -> np.ndarray:
        return np.asarray(self.x, dtype=np.float64) if self.x is not None else axis.convert(self.steps)


def add_curves(fig: go.Figure, curves: Sequence[Curve], axis: XAxis, smoothing: float, lang: str,
               keep_steps: Iterable[float] = ()) -> None:
    """Each curve as one legend entry; with smoothing, the raw curve faint behind it."""
    keep_steps = list(keep_steps)
    x_title = t(axis.title, lang)
    for c in curves:
        x = c.xs(axis)
        raw = cm.drawable(c.values)
        keep = cm.nearest_positions(c.steps, keep_steps)
        line = dict(color=c.color, width=2)
        if smoothing > 0:
            pos = cm.thin_positions(raw, MAX_POINTS, keep)
            raw_name = f"{c.name} ({t('raw', lang)})"
            fig.add_scatter(x=x[pos], y=raw[pos], mode="lines", name=raw_name,
                            legendgroup=c.name, showlegend=False, opacity=0.25,
                            line=dict(color=c.color, width=1), hovertemplate=hover(raw_name, x_title))
            raw = cm.ema(raw, smoothing)
        pos = cm.thin_positions(raw, MAX_POINTS, keep)
        fig.add_scatter(x=x[pos], y=raw[pos], mode="lines", name=c.name, legendgroup=c.name,
                        line=line, hovertemplate=hover(c.name, x_title))


def y_layout(fig: go.Figure, curves: Sequence[Curve], axis: XAxis, *, log: str = "auto",
             default_log: bool = False, robust: bool = True, lang: str = "en",
             include: Sequence[float] = ()) -> None:
    """The y axis, then what it leaves out marked: points beyond a robust range as triangles at
    the edge, the first NaN / inf / astronomical value of each curve as an annotation. Where the
    curves could be drawn on the other scale too (all positive), linear | log buttons flip the
    chart in the browser: axis, ticks and edge marks of both scales are in the figure."""
    values = np.concatenate([cm.drawable(c.values) for c in curves] or [np.empty(0)])
    spec = y_axis(values, log, default_log, robust, include)
    fig.update_yaxes(**spec)
    first = len(fig.data)
    _mark_all(fig, curves, axis, spec, lang)
    other = y_axis(values, "linear" if spec.get("type") == "log" else "log", default_log, robust, include)
    if other.get("type", "linear") != spec.get("type", "linear"):
        split = len(fig.data)
        _mark_all(fig, curves, axis, other, lang, visible=False)
        _scale_buttons(fig, spec, other, range(first, split), range(split, len(fig.data)), lang)
    _mark_broken(fig, curves, axis, lang)


def _mark_all(fig: go.Figure, curves: Sequence[Curve], axis: XAxis, spec: dict, lang: str,
              visible: bool = True) -> None:
    lo, hi = spec.get("range", (-math.inf, math.inf))
    is_log = spec.get("type") == "log"
    x_title = t(axis.title, lang)
    for c in curves:
        _mark_clipped(fig, c, axis, lo, hi, is_log, x_title, lang, visible)


def _axis_update(spec: dict) -> dict:
    """`spec` as a relayout of the y axis: every key either scale sets, the unset ones cleared."""
    return {"yaxis.type": spec.get("type", "linear"), "yaxis.range": spec.get("range"),
            "yaxis.autorange": "range" not in spec, "yaxis.tickvals": spec.get("tickvals"),
            "yaxis.ticktext": spec.get("ticktext"), "yaxis.exponentformat": spec.get("exponentformat")}


def _scale_buttons(fig: go.Figure, shown: dict, other: dict, shown_marks: range, other_marks: range,
                   lang: str) -> None:
    """linear | log at the chart's bottom right, beside the x axis's title (the top right is
    plotly's tool bar on hover); each sets its axis and shows its own edge marks (only those: a
    curve hidden from the legend stays hidden)."""
    marks = [*shown_marks, *other_marks]

    def button(spec: dict, mine: range) -> dict:
        traces = [{"visible": [i in mine for i in marks]}, _axis_update(spec), marks] if marks else \
            [{}, _axis_update(spec)]
        return dict(label=t(f"view_log_{spec.get('type', 'linear')}", lang), method="update", args=traces)

    scales = sorted([(shown, shown_marks), (other, other_marks)], key=lambda s: s[0].get("type") == "log")
    fig.update_layout(updatemenus=[dict(  # linear first, whichever is shown
        type="buttons", direction="right", showactive=True, active=[s for s, _ in scales].index(shown),
        x=1, xanchor="right", y=0, yanchor="top", pad=dict(t=26, b=0, r=0, l=0),
        font=dict(size=10), bgcolor="#f4f4f4", bordercolor="#cccccc",
        buttons=[button(spec, mine) for spec, mine in scales])])


def _mark_broken(fig: go.Figure, curves: Sequence[Curve], axis: XAxis, lang: str) -> None:
    """The first NaN / inf / astronomical value of each curve, named by its step whatever the
    x axis shows, at its x; the curve named too where the chart has several, each label a
    little lower than the one before (train and val often break a few steps apart). Where
    nothing but broken values follows (a run that went on logging NaN for millions of steps),
    the x axis ends a little after them, as TensorBoard's does, not squeezing the curve into
    its first percent."""
    broken = [(c, i, float(c.xs(axis)[i])) for c in curves if (i := cm.first_broken(c.values)) is not None]
    if not broken:
        return
    x_range = broken_tail_range(curves, axis, [x for _, _, x in broken])
    if x_range is not None:
        fig.update_xaxes(range=list(x_range))
    lo, hi = x_range or (min(float(c.xs(axis).min()) for c in curves), max(float(c.xs(axis).max()) for c in curves))
    for k, (c, i, x) in enumerate(broken):
        text = t("broken_at", lang, value=cm.compact(float(c.values[i])), step=cm.step_label(c.steps[i]))
        where = (x - lo) / (hi - lo) if hi > lo else 0.5  # a label near an edge is kept inside it
        fig.add_annotation(x=x, y=1, yref="paper", text=f"{c.name} {text}" if len(curves) > 1 else text,
                           xanchor="right" if where > 0.67 else "left" if where < 0.33 else "center",
                           showarrow=True, arrowhead=2, ax=0, ay=40 + 18 * k, arrowcolor=CLIPPED_COLOR,
                           font=dict(size=10, color=CLIPPED_COLOR), bgcolor="rgba(255,255,255,0.8)")


def broken_tail_range(curves: Sequence[Curve], axis: XAxis, broken_at: Sequence[float],
                      kept: float = 0.8, margin: float = 0.05) -> tuple[float, float] | None:
    """An x range ending `margin` after the last finite point or first broken one, whichever
    is later, when that leaves out more than 1 - `kept` of the x extent; else None."""
    xs = [c.xs(axis) for c in curves]
    ends = [float(x[np.isfinite(cm.drawable(c.values))].max()) for x, c in zip(xs, curves)
            if np.isfinite(cm.drawable(c.values)).any()]
    lo = min(float(x.min()) for x in xs if x.size)
    hi = max(float(x.max()) for x in xs if x.size)
    end = max([*ends, *broken_at])
    if not hi > lo or end <= lo or end - lo >= kept * (hi - lo):
        return None
    return lo, end + margin * (end - lo)


def _mark_clipped(fig: go.Figure, c: Curve, axis: XAxis, lo: float, hi: float, is_log: bool,
                  x_title: str, lang: str, visible: bool = True) -> None:
    v = cm.drawable(c.values)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.log10(v) if is_log else v
    for above, edge, symbol in ((True, hi, "triangle-up"), (False, lo, "triangle-down")):
        if not math.isfinite(edge):
            continue
        where = np.flatnonzero(u > edge if above else u < edge)
        if not where.size:
            continue
        where = where[np.linspace(0, where.size - 1, min(where.size, MAX_MARKS)).astype(int)]
        y_edge = 10.0 ** edge if is_log else edge
        # The step too where x is an epoch or a time: "step N" is what a user looks up.
        at_step = "" if axis.kind == "step" else f"<br>{t('step', lang)}: %{{customdata[1]:,}}"
        fig.add_scatter(x=c.xs(axis)[where], y=np.full(where.size, y_edge), mode="markers",
                        name=t("off_scale", lang), showlegend=False, visible=visible,
                        customdata=np.column_stack([v[where], c.steps[where]]),
                        marker=dict(symbol=symbol, size=8, color=CLIPPED_COLOR),
                        hovertemplate=f"<b>{c.name}</b> ({t('off_scale', lang)})<br>{x_title}: "
                                      f"%{{x:,.6~g}}{at_step}<br>%{{customdata[0]:.4g}}<extra></extra>")


def y_axis(values: np.ndarray, log: str = "auto", default_log: bool = False,
           robust: bool = True, include: Sequence[float] = ()) -> dict:
    """Plotly y-axis settings. `log`: "auto" (log where `default_log` and the curve spans a
    decade, or anywhere it spans three), "log" (whenever all values are positive), "linear".
    `include`: levels drawn on the chart (thresholds) that a set range must still show."""
    v = values[np.isfinite(values)]
    if not v.size:
        return dict(type="linear")
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-9 * max(abs(hi), abs(lo)):  # constant (a fixed lr): plotly would centre
        pad = abs(hi) * 0.5 or 1.0  # it in a ±1 range, so 0.001 would read as 0; frame it
        return dict(type="linear", range=[lo - pad, hi + pad], exponentformat="e")
    decades = math.log10(hi / lo) if lo > 0 else 0.0
    use_log = lo > 0 and (log == "log" or (log == "auto" and decades >= (1 if default_log else 3)))
    bounds = cm.robust_range(v, use_log) if robust else None
    levels = [x for x in include if math.isfinite(x) and (x > 0 or not use_log)]
    if use_log:
        return _log_axis(bounds or (math.log10(lo), math.log10(hi)), levels)
    if bounds:
        bounds = (min([bounds[0], *levels]), max([bounds[1], *levels]))
    return dict(type="linear", exponentformat="e", **({"range": list(bounds)} if bounds else {}))


def _log_axis(bounds: tuple[float, float], levels: Sequence[float]) -> dict:
    """A log axis over `bounds` (log10 units) widened to show `levels`, with our own ticks."""
    a, b = bounds
    a, b = min([a, *map(math.log10, levels)]), max([b, *map(math.log10, levels)])
    pad = 0.04 * max(b - a, 0.1)
    vals, text = cm.log_ticks(10.0 ** a, 10.0 ** b)
    return dict(type="log", range=[a - pad, b + pad], tickvals=vals, ticktext=text)
