"""One colour per role, the same on every chart (TensorBoard/W&B users read train vs val by
colour at a glance), hover text that names the series, and the look every figure starts from.
No Streamlit here."""
from __future__ import annotations

import plotly.graph_objects as go

ROLE_COLOR = {
    "train": "#1f77b4",  # blue
    "val": "#ff7f0e",  # orange: never a second shade of blue next to train
    "lr": "#9467bd",  # purple
    "total": "#222222",  # a family's total, drawn over its layers
}
# Layers, runs: a fixed order, so layer i has the same colour on every per-layer chart.
PALETTE = ("#2ca02c", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
           "#1f77b4", "#ff7f0e", "#9467bd", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896")
CLIPPED_COLOR = "#c0392b"
GRID = "#e6eaf1"
# Every chart's look, set on the figure: the page draws with Streamlit's theme off, which would
# copy each figure twice more in the browser (through JSON) to restyle it, and the HTML report
# then looks the same as the page. Axes widen their margin for a label that does not fit.
_TEMPLATE = {"layout": {
    "font": {"family": '"Source Sans Pro", "Source Sans 3", sans-serif', "size": 12, "color": "#31333F"},
    "title": {"font": {"size": 16}, "x": 0, "xanchor": "left", "xref": "paper"},
    "paper_bgcolor": "white", "plot_bgcolor": "white",
    "xaxis": {"showgrid": False, "zeroline": False, "automargin": True, "linecolor": GRID, "ticks": ""},
    # a gap between the lowest y label and the x axis's first ("0.0015" "0" read "0.00150")
    "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True, "ticklabelstandoff": 6},
    "hoverlabel": {"bgcolor": "white", "bordercolor": GRID, "font": {"size": 12, "color": "#31333F"}},
    "legend": {"bgcolor": "rgba(0,0,0,0)"},
}}
# Checked once: plotly checks a template given as a dict on every figure (40 ms each).
TEMPLATE = go.layout.Template(_TEMPLATE)


def new_figure() -> go.Figure:
    """An empty figure in the charts' look (not plotly's or Streamlit's default template, which
    is also most of a small figure's bytes)."""
    return go.Figure(layout={"template": TEMPLATE})


def role(canonical: str) -> str | None:
    """train / val / lr / total for a canonical tag; None for a layer of a family."""
    head, _, tail = canonical.partition("/")
    if head in ("train", "val"):
        return head
    if head == "opt":
        return "lr"
    return "total" if tail == "total" else None


def color(canonical: str, position: int = 0) -> str:
    """The colour of a canonical tag; `position`: a layer's place among its family's layers."""
    r = role(canonical)
    return ROLE_COLOR[r] if r else PALETTE[position % len(PALETTE)]


def palette(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def hover(name: str, x_title: str) -> str:
    """Series name, x and value on hover, instead of plotly's bare "(13, 0.12)"."""
    safe = name.replace("%{", "%{{").replace("<", "&lt;")
    return f"<b>{safe}</b><br>{x_title}: %{{x:,.6~g}}<br>%{{y:.6~g}}<extra></extra>"
