"""Choices that outlive the widgets showing them, and panels drawn only while they are open.

Streamlit drops a widget's state at the end of a run that does not draw it; a chart setting must
survive a page with no chart, and a tag-mapping fix or a pick of other scalars a folded panel.
The prefixes of those keys live here, so that app start-up keeps them without importing the
pages that draw them.
"""
from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

CHART = "curve_view:"  # the curve controls (ui.chart_controls)
MAPPING = "map:"  # + run key + role: a tag-mapping fix (ui.mapping)
OTHER = "other:"  # + run key: the other scalars picked (ui.curves_panel)
KEPT = (CHART, MAPPING, OTHER)


def keep(prefixes: tuple[str, ...] = KEPT) -> None:
    """Call at the top of every run, before any of these widgets is drawn (re-setting a drawn
    one raises): a value set by code, not by a widget, is kept."""
    for key in list(st.session_state):
        if str(key).startswith(prefixes):
            st.session_state[key] = st.session_state[key]


def unfolded(label: str, key: str, *, expanded: bool = False, icon: str | None = None) -> DeltaGenerator | None:
    """A folded panel whose content is drawn only while it is open: the panel to draw into, or
    None while it is folded. A plain `st.expander` draws everything in it, folded or not (charts
    too, hidden), and the page's first view waits for all of it; `key` holds whether it is open."""
    box = st.expander(label, expanded=expanded, icon=icon, key=key, on_change="rerun")
    return box if box.open else None
