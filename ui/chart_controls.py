"""The curve controls a TensorBoard user looks for: smoothing, x axis, outlier-robust range and
the y scale (auto: each chart's own; every chart also flips between linear and log in place, in
the browser, as a TensorBoard card does). Their keys carry no run id, so a choice is kept when
another run is opened; `ui.widget_state.keep()` holds them while no chart is drawn.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import streamlit as st

from ui import widget_state
from ui.curve_view import LOG_CHOICES, X_CHOICES, View, XAxis
from ui.i18n import t

PREFIX = widget_state.CHART
SMOOTHING, X, ROBUST, LOG = f"{PREFIX}smoothing", f"{PREFIX}x", f"{PREFIX}robust", f"{PREFIX}log"


def _default(key: str, **value: Any) -> dict[str, Any]:
    # A default passed while the state holds a value makes Streamlit warn on the page.
    return {} if key in st.session_state else value


def controls(axes: Mapping[str, XAxis], lang: str, *, x_key: str = X,
             default_x: str = "step") -> View:
    """The bar above the curves; returns the view it sets. `axes`: what this run offers.
    `x_key`, `default_x`: an x axis kept apart from the run charts' (the overlays of runs
    whose steps per epoch differ start on epoch)."""
    smooth, x, log, robust = st.columns([5, 7, 5, 4], vertical_alignment="bottom")
    with smooth:
        st.slider(t("view_smoothing", lang), 0.0, 0.99, step=0.01, key=SMOOTHING,
                  help=t("view_smoothing_help", lang), **_default(SMOOTHING, value=0.0))
    with x:
        st.radio(t("view_x", lang), X_CHOICES, key=x_key, horizontal=True,
                 format_func=lambda c: t(f"view_x_{c}", lang),
                 **_default(x_key, index=X_CHOICES.index(default_x)))
    with log:
        st.radio(t("view_log", lang), LOG_CHOICES, key=LOG, horizontal=True, help=t("view_log_help", lang),
                 format_func=lambda c: t(f"view_log_{c}", lang), **_default(LOG, index=0))
    with robust:
        st.toggle(t("view_robust", lang), key=ROBUST, help=t("view_robust_help", lang),
                  **_default(ROBUST, value=True))
    view = replace(current(), x=st.session_state.get(x_key, default_x))
    if view.x not in axes:  # said once, then drawn by step
        st.caption(t("view_x_missing", lang, what=t(f"view_x_{view.x}", lang)))
    return view


def current() -> View:
    """The view as last set, for charts drawn where the controls are not (the overview)."""
    state = st.session_state
    x = state.get(X, "step")
    log = state.get(LOG, "auto")
    return View(smoothing=float(state.get(SMOOTHING, 0.0)), x=x if x in X_CHOICES else "step",
                robust=bool(state.get(ROBUST, True)), log=log if log in LOG_CHOICES else "auto")
