"""The Curves section of a run: the controls, then one chart per curve family with the findings'
evidence on it, laid two to a row (a lone chart takes the full width); the per-layer detail no
rule reads (update ratio, weight norm) and what else the run logged, on request. Figures are
built in `ui.charts`; this module only places them.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import plotly.graph_objects as go
import streamlit as st

from diagnostics.model import Report
from diagnostics.rundata import RunData
from ui import chart_controls, charts, curve_view, widget_state
from ui.i18n import t

PLOTLY_CONFIG = {"displaylogo": False}
OTHER_OPEN, DETAIL_OPEN = "other_open", "detail_open"  # whether those panels are unfolded
T = TypeVar("T")


def grid(items: Sequence[T], per_row: int = 2) -> Iterator[tuple[object, T]]:
    """(column, item) in rows of `per_row`; a row holding one item gives it the full width."""
    for i in range(0, len(items), per_row):
        row = items[i:i + per_row]
        yield from zip(st.columns(len(row)), row)


def show(fig: go.Figure, key: str) -> None:
    """A figure as `ui.charts` styled it (`chart_style.TEMPLATE`), not restyled in the browser."""
    st.plotly_chart(fig, key=key, width="stretch", config=PLOTLY_CONFIG, theme=None)


def curves(run: RunData, report: Report, lang: str, run_key: str) -> None:
    st.subheader(t("curves", lang))
    specs = [s for s in charts.SPECS if charts.spec_series(run, s)]
    if not specs:
        st.info(t("no_curves", lang))
        return
    axes = curve_view.x_axes(run)
    view = chart_controls.controls(axes, lang)
    axis = axes.get(view.x, curve_view.STEP)
    numbered = list(enumerate(report.findings, start=1))
    shown = [s for s in specs if not s.detail or charts.has_evidence(run, s, report.findings)]
    _charts(run, shown, numbered, lang, run_key, view, axis)
    detail = [s for s in specs if s not in shown]
    if detail:
        names = ", ".join(t(f"chart_{s.id}", lang) for s in detail)
        box = widget_state.unfolded(t("detail_charts", lang, n=len(detail), names=names), DETAIL_OPEN, icon="🔬")
        if box is not None:
            with box:
                _charts(run, detail, numbered, lang, run_key, view, axis)
    _other_scalars(run, lang, run_key, view, axis)


def _charts(run: RunData, specs: Sequence[charts.ChartSpec], numbered, lang: str, run_key: str,
            view: curve_view.View, axis: curve_view.XAxis) -> None:
    for column, spec in grid(specs):
        with column:
            fig = charts.figure(run, spec, numbered, lang, view, axis)
            if fig is not None:
                show(fig, f"chart:{run_key}:{spec.id}")


def _other_scalars(run: RunData, lang: str, run_key: str, view: curve_view.View,
                   axis: curve_view.XAxis) -> None:
    """What the run logged beyond the canonical tags (rewards, a loss component...): no rule
    reads it, but a user judging a run wants it beside the diagnosis."""
    tags = charts.other_tags(run)
    if not tags:
        return
    box = widget_state.unfolded(t("other_scalars", lang, n=len(tags)), OTHER_OPEN, icon="📈")
    if box is None:
        return
    with box:
        shown = st.multiselect(t("other_pick", lang), tags, default=tags[:4], key=f"{widget_state.OTHER}{run_key}")
        for column, tag in grid(shown):
            with column:
                # not under widget_state.OTHER: those keys are choices kept across runs
                show(charts.other_figure(run, tag, lang, view, axis), f"other_chart:{run_key}:{tag}")
