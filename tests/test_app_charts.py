"""Chart building (no Streamlit): thinning keeps spikes; evidence is drawn where it belongs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagnostics.model import Evidence, Finding, Report, Severity
from diagnostics.rules import curves
from ui import charts


def test_thinning_keeps_spikes_and_drops_infinities():
    values = np.zeros(100_000)
    values[54_321] = 1e6
    values[7] = np.inf
    shown = charts.thin(pd.Series(values, index=np.arange(100_000)))
    assert len(shown) <= charts.MAX_POINTS
    assert shown.max() == 1e6 and 54_321 in shown.index
    assert not np.isinf(shown.to_numpy()).any()


def _report(marks: dict) -> tuple:
    run = curves.healthy().build()
    finding = Finding(
        rule_id="overfitting", title="Overfitting", severity=Severity.WARNING, confidence=0.9,
        message="m", onset_step=200,
        evidence=(Evidence(tag="val/loss", steps=(200, 440), statistic="rise above minimum",
                           value=0.3, threshold=0.15, marks=marks),),
    )
    return run, Report(run="r", findings=(finding,), not_assessed=())


def test_evidence_window_onset_and_level_are_drawn_on_its_curve():
    run, report = _report({"minimum": 0.12, "level": 0.138})
    figs = dict(charts.figures(run, report, "en"))
    shapes = figs["loss"].layout.shapes
    assert {s.type for s in shapes} == {"rect", "line"}
    assert any(s.type == "rect" and (s.x0, s.x1) == (200, 440) for s in shapes)
    assert any(s.type == "line" and s.x0 == s.x1 == 200 for s in shapes)  # onset
    assert any(s.type == "line" and s.y0 == s.y1 == 0.138 for s in shapes)  # threshold level


def test_a_threshold_that_is_not_a_level_is_not_drawn_as_one():
    run, report = _report({"minimum": 0.12})  # 0.15 is a relative rise, not a loss value
    shapes = dict(charts.figures(run, report, "en"))["loss"].layout.shapes
    assert not any(s.type == "line" and s.y0 == s.y1 for s in shapes)


def test_log_axes_have_readable_ticks_and_a_constant_is_linear():
    s = lambda *v: pd.Series(np.array(v, dtype=float))  # noqa: E731
    flat = charts.y_axis([s(1e-3, 1e-3, 1e-3)], log_y=True)  # constant lr: framed around its value
    assert flat["type"] == "linear" and flat["range"] == pytest.approx([5e-4, 1.5e-3])
    assert charts.y_axis([s(0.0, 0.0)], log_y=False)["range"] == [-1.0, 1.0]
    assert charts.y_axis([s(1e-3, 5e-4)], log_y=True)["type"] == "linear"  # under a decade
    assert charts.y_axis([s(1e-3, 0.0)], log_y=True) == {"type": "linear"}  # not all positive
    assert charts.y_axis([s(1e-3, 1e-6)], log_y=False) == {"type": "linear"}
    wide = charts.y_axis([s(1e-1, 1e-5, np.nan), s(1e-3, np.inf)], log_y=True)
    assert wide == {"type": "log", "dtick": 1, "exponentformat": "power"}
    mid = charts.y_axis([s(1.5e-3, 3e-2)], log_y=True)
    assert mid["type"] == "log" and mid["tickformat"] == ".0e"
    assert np.allclose(mid["tickvals"], [2e-3, 5e-3, 1e-2, 2e-2])

