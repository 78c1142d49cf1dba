"""Plotly's 4.7 MB script, and the other pieces a diagnosis page lazily loads, start loading
before the first chart is asked for.

Streamlit fetches and evaluates its plotly bundle only when a page first shows a chart; on a
busy 2-core box that took 3-6 s of blocked main thread, so a run's charts (and the findings
drawn after them) appeared seconds after its summary. Importing the very module Streamlit will
import later, while the browser is idle on the landing page, leaves nothing to do then: an ES
module is evaluated once per page.

The findings below the charts waited the same way: for the evidence table's code (Table,
DataFrame), the remedies' code blocks' (StreamlitSyntaxHighlighter: 1.5 MB of Prism with every
language, 0.3-0.5 s to evaluate on this box) and the code font, whose italic face Prism's
comments ask for only then, fetched one after another once the findings arrived: their
snippets came 2-3.5 s after the findings' header. Loaded here, while the landing page is idle,
the renderer's main thread spends 2.4 -> 1.7 s of CPU from a pick to the last chart and snippet
drawn (the overfitting sample, Chromium trace, median of 3 on a loaded 2-core box).
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

# In the order the page needs them: charts first, then the findings' tables and code.
CHUNKS = ("PlotlyChart", "DataFrame", "Table", "StreamlitSyntaxHighlighter")
FONTS = ('1em "Source Code Pro"', 'italic 1em "Source Code Pro"', 'bold 1em "Source Code Pro"')

_SCRIPT = """<script>(() => {
  if (window.__runDoctorPlotly) return;
  window.__runDoctorPlotly = true;
  const index = document.querySelector('script[src*="/static/js/index."]');
  if (!index) return;
  const chunks = %s, styles = %s, fonts = %s;
  // A chunk's stylesheet linked as Vite's loader links it, which then finds it there.
  for (const css of styles) {
    const href = new URL(css, index.src).href;
    if ([...document.querySelectorAll('link')].some(l => l.href === href)) continue;
    const link = Object.assign(document.createElement('link'), {rel: 'stylesheet', href});
    document.head.appendChild(link);
  }
  // One at a time (resolved like Streamlit's own lazy imports): plotly's is done first.
  const load = (i) => i < chunks.length ? import(new URL(chunks[i], index.src).href)
    .then(() => { if (i === 0) window.__runDoctorPlotly = "ready"; }, () => {})
    .then(() => load(i + 1)) : Promise.all(fonts.map(f => document.fonts.load(f).catch(() => {})));
  load(0).then(() => { window.__runDoctorPreload = "ready"; });
})();</script>"""


def _static() -> Path:
    return Path(st.__file__).parent / "static" / "static"


@cache
def _files() -> tuple[list[str], list[str]]:
    """File names of Streamlit's chunks (relative to its index script) and their stylesheets;
    their hashes change with each Streamlit release, so they are looked up, not written here."""
    js, css = [], []
    for chunk in CHUNKS:
        found = sorted((_static() / "js").glob(f"{chunk}.*.js"))
        if found:
            js.append(found[0].name)
            css += [f"../css/{p.name}" for p in sorted((_static() / "css").glob(f"{chunk}.*.css"))]
    return js, css


def _bundle() -> str | None:
    """File name of Streamlit's plotly chunk."""
    js, _ = _files()
    return js[0] if js and js[0].startswith("PlotlyChart.") else None


def preload() -> None:
    js, css = _files()
    if js:
        with st.sidebar:
            st.html(_SCRIPT % (json.dumps(js), json.dumps(css), json.dumps(FONTS)),
                    unsafe_allow_javascript=True)
