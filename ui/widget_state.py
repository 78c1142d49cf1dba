"""Choices that outlive the widgets showing them. Streamlit drops a widget's state at the end of
a run that does not draw it; a chart setting must survive a page with no chart, and a tag-mapping
fix or a pick of other scalars a folded panel (drawn only while it is open)."""
from __future__ import annotations

import streamlit as st

from ui import chart_controls, curves_panel, mapping

KEPT = (chart_controls.PREFIX, mapping.PREFIX, curves_panel.OTHER)


def keep(prefixes: tuple[str, ...] = KEPT) -> None:
    """Call at the top of every run, before any of these widgets is drawn (re-setting a drawn
    one raises): a value set by code, not by a widget, is kept."""
    for key in list(st.session_state):
        if str(key).startswith(prefixes):
            st.session_state[key] = st.session_state[key]
