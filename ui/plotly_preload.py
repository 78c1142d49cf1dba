"""Plotly's 4.7 MB script starts loading before the first chart is asked for.

Streamlit fetches and evaluates its plotly bundle only when a page first shows a chart; on a
busy 2-core box that took 3-6 s of blocked main thread, so a run's charts (and the findings
drawn after them) appeared seconds after its summary. Importing the very module Streamlit will
import later, while the browser is idle on the landing page, leaves nothing to do then: an ES
module is evaluated once per page.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

_SCRIPT = """<script>(() => {
  if (window.__runDoctorPlotly) return;
  window.__runDoctorPlotly = true;
  const index = document.querySelector('script[src*="/static/js/index."]');
  if (!index) return;
  const url = new URL(%s, index.src).href;  // resolved like Streamlit's own lazy import
  import(url).then(() => { window.__runDoctorPlotly = "ready"; }).catch(() => {});
})();</script>"""


@cache
def _bundle() -> str | None:
    """File name of Streamlit's plotly chunk (its hash changes with each Streamlit release)."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def preload() -> None:
    name = _bundle()
    if name is not None:
        with st.sidebar:
            st.html(_SCRIPT % json.dumps(name), unsafe_allow_javascript=True)
