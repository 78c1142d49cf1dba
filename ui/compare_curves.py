"""The curves of a comparison: parent seeds grey, re-run seeds blue (the first seed of each side
bold), under the run charts' control bar (smoothing, x axis, y scale, outliers). The x
axis starts on epoch when the two sides' steps per epoch differ; figures come from
`ui.overlay_chart`. A run with no parent (a new training) is drawn alone, not as a re-run.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from diagnostics.rundata import RunData
from ui import chart_controls, curves_panel, overlay_chart
from ui.i18n import t
from ui.overlay_chart import Line

SIDE_COLOR = {"parent": "#7f8c8d", "child": "#2980b9", "run": "#2980b9"}
LOSS_TAGS = ("val/loss", "train/loss")
X_KEY = f"{chart_controls.X}:compare"  # its own: a comparison may start on epoch


def lines(parents: Sequence[RunData], children: Sequence[RunData], lang: str) -> list[Line]:
    """One line per seed; "re-run" only where there is a parent to be a re-run of."""
    out = []
    sides = (("parent", parents), ("child" if parents else "run", children))
    for side, runs in sides:
        for i, run in enumerate(runs):
            seed = (run.config or {}).get("seed")
            name = t(f"side_{side}", lang) + (f" · {t('replica', lang, seed=seed)}"
                                               if seed is not None else "")
            out.append(Line(name, run, SIDE_COLOR[side], bold=i == 0))
    return out


def curves(parents: Sequence[RunData], children: Sequence[RunData], lang: str, key: str, *,
           tags: Sequence[str] = LOSS_TAGS, controls: bool = True) -> None:
    """`controls` False: a live view redrawn every second draws no widgets; it takes the
    settings last made and the x axis the runs call for."""
    runs = [*parents, *children]
    tags = [tag for tag in tags if any(r.scalar(tag) is not None and len(r.scalar(tag))
                                       for r in runs)]
    if not tags:
        st.caption(t("no_events_yet", lang))
        return
    st.markdown(f"**{t('overlay' if parents else 'overlay_alone', lang)}**")
    axes = overlay_chart.common_axes(runs)
    default = overlay_chart.default_x(runs)
    if controls:
        view = chart_controls.controls(axes, lang, x_key=f"{X_KEY}:{default}", default_x=default)
    else:
        view = replace(chart_controls.current(), x=default)
    x = view.x if view.x in axes else "step"
    differ = overlay_chart.epochs_differ(runs)
    if differ and x == "epoch":
        st.caption(t("aligned_by_epoch", lang, lo=f"{differ[0]:,.0f}", hi=f"{differ[1]:,.0f}"))
    drawn = lines(parents, children, lang)
    for column, tag in zip(st.columns(len(tags)), tags):
        with column:
            fig = overlay_chart.overlay(drawn, tag, lang, view, x)
            if fig is not None:
                curves_panel.show(fig, f"overlay:{key}:{tag}")
