"""Chart building (no Streamlit): thinning keeps spikes; evidence is drawn where it belongs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagnostics import engine, reader
from diagnostics.model import Evidence, Finding, Report, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import SyntheticRun
from ui import charts, curve_view
from ui import curve_math as cm
from ui.chart_style import ROLE_COLOR
from ui.curve_traces import y_axis
from ui.curve_view import View
from ui.sources import SAMPLES_ROOT as SAMPLES


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
    a = lambda *v: np.array(v, dtype=float)  # noqa: E731
    flat = y_axis(a(1e-3, 1e-3, 1e-3), default_log=True)  # constant lr: framed around its value
    assert flat["type"] == "linear" and flat["range"] == pytest.approx([5e-4, 1.5e-3])
    assert y_axis(a(0.0, 0.0))["range"] == [-1.0, 1.0]
    assert y_axis(a(1e-3, 5e-4), default_log=True)["type"] == "linear"  # under a decade
    assert y_axis(a(1e-3, 0.0), log="log")["type"] == "linear"  # not all positive: no log
    assert y_axis(a(1e-3, 1e-6), log="linear")["type"] == "linear"
    assert y_axis(a(1e-3, 1e-6))["type"] == "log"  # auto: three decades or more
    wide = y_axis(a(1e-1, 1e-5, np.nan, 1e-3, np.inf), default_log=True)
    assert wide["type"] == "log" and wide["ticktext"] == ["1e-5", "1e-4", "0.001", "0.01", "0.1"]
    mid = y_axis(a(1.5e-3, 3e-2), default_log=True)
    assert mid["type"] == "log" and np.allclose(mid["tickvals"], [2e-3, 5e-3, 1e-2, 2e-2])


def test_a_log_axis_over_a_hundred_decades_shows_at_most_eight_labels():
    vals, text = cm.log_ticks(1e-14, 1e100)
    assert text == ["1", "1e20", "1e40", "1e60", "1e80", "1e100"]  # every 20th decade
    assert all(np.log10(v) == round(np.log10(v)) for v in vals)  # decades only
    assert cm.log_ticks(1e-14, 1.0)[1] == ["1e-14", "1e-12", "1e-10", "1e-8", "1e-6", "1e-4", "0.01", "1"]


def _tensorboard_ema(values, weight):
    """TensorBoard's smoothing, as its frontend writes it (vz_line_chart2 resmoothDataset)."""
    last, n, out = 0.0, 0, []
    finite = [v for v in values if np.isfinite(v)]
    if finite and all(v == finite[0] for v in finite):
        return list(values)
    for v in values:
        if not np.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight ** n))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.9, 0.99])
def test_smoothing_is_tensorboards_debiased_ema(weight):
    rng = np.random.default_rng(0)
    values = np.exp(rng.standard_normal(500))
    values[[17, 300]] = [np.nan, np.inf]
    assert np.allclose(cm.ema(values, weight), _tensorboard_ema(values, weight), equal_nan=True)
    assert cm.ema(np.full(5, 0.3), 0.9).tolist() == [0.3] * 5  # a constant stays itself


def test_smoothing_draws_the_raw_curve_faint_behind_the_smoothed_one():
    run, report = _report({})
    fig = dict(charts.figures(run, report, "en", View(smoothing=0.9)))["loss"]
    raw, smooth = fig.data[0], fig.data[1]
    assert raw.opacity == 0.25 and not raw.showlegend and smooth.name == "train/loss"
    series = run.scalar("train/loss")
    assert np.allclose(smooth.y, _tensorboard_ema(series.to_numpy(), 0.9))


def test_one_colour_per_role_and_per_layer_on_every_chart():
    run = curves.healthy().build()
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en"))["loss"]
    colors = {d.name: d.line.color for d in fig.data}
    assert colors == {"train/loss": ROLE_COLOR["train"], "val/loss": ROLE_COLOR["val"]}
    for d in fig.data:  # hover names the series, the step and the value
        assert d.hovertemplate.startswith(f"<b>{d.name}</b><br>step: %{{x")
        assert "%{y" in d.hovertemplate


@pytest.mark.skipif(not (SAMPLES / "vanishing_gradient").is_dir(), reason="no sample_runs/")
def test_the_gradient_charts_of_the_samples_have_few_decade_ticks_and_stable_layer_colours():
    for name in ("exploding_gradient", "vanishing_gradient"):
        run = reader.load(SAMPLES / name).runs[0]
        figs = dict(charts.figures(run, engine.diagnose(run, lang="en"), "en"))
        grad = figs["grad_norm"].layout.yaxis
        assert grad.type == "log" and 2 <= len(grad.tickvals) <= 8
        assert all(np.log10(v) == round(np.log10(v)) for v in grad.tickvals)
        layer_colors = [{d.name: d.line.color for d in figs[c].data if d.name != "total"}
                        for c in ("grad_norm", "update_ratio")]
        assert layer_colors[0] == layer_colors[1]  # fc1 is fc1's colour on every chart


def test_an_inf_and_a_spike_are_marked_instead_of_stretching_the_axis():
    steps = np.arange(2000)
    loss = 1 + 0.1 * np.sin(steps / 50)
    loss[5:15] = 500.0  # the first spike that squeezed a real 384k-step loss into a line
    loss[1990] = np.inf
    run = SyntheticRun("spiky").scalar("train/loss", steps, loss).build()
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en"))["loss"]
    lo, hi = fig.layout.yaxis.range
    assert fig.layout.yaxis.type == "linear" and hi < 2  # the spike no longer sets the range
    [marks] = [d for d in fig.data if d.mode == "markers"]
    assert list(marks.x) == list(range(5, 15)) and set(marks.y) == {hi} and set(marks.customdata) == {500.0}
    assert [a.text for a in fig.layout.annotations] == ["→ inf at step 1990"]
    no_robust = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en",
                                    View(robust=False)))["loss"]
    assert no_robust.layout.yaxis.range is None  # the user can have the whole range back


def test_downsampling_keeps_evidence_points():
    steps = np.arange(1_000_000)
    values = np.cos(steps / 1e4)
    run = SyntheticRun("long").scalar("val/loss", steps, values).build()
    finding = Finding(rule_id="overfitting", title="O", severity=Severity.WARNING, confidence=0.9,
                      message="m", onset_step=123_457,
                      evidence=(Evidence(tag="val/loss", steps=(123_457, 654_321), statistic="s",
                                         value=1, threshold=1),))
    fig = dict(charts.figures(run, Report(run="r", findings=(finding,), not_assessed=()), "en"))["loss"]
    drawn = fig.data[0]
    assert len(drawn.x) <= charts.MAX_POINTS + 4
    assert {123_457, 654_321} <= set(drawn.x)


def test_x_axis_by_epoch_and_by_wall_time():
    run = curves.healthy().build()  # val once an epoch, at 22, 44, ...: 22 steps an epoch
    axes = curve_view.x_axes(run)
    assert set(axes) == {"step", "epoch", "wall"}
    assert axes["epoch"].convert(np.array([44, 55])).tolist() == [2.0, 2.5]
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en",
                              View(x="epoch")))["loss"]
    assert fig.layout.xaxis.title.text == "epoch" and max(fig.data[1].x) == pytest.approx(20.0)
    logged = SyntheticRun("e").scalar("train/loss", [0, 10, 20], [3, 2, 1]).scalar(
        "epoch", [0, 10, 20], [0, 0.5, 1.0]).build()  # a logged epoch tag wins (Lightning, HF)
    assert curve_view.x_axes(logged)["epoch"].convert(np.array([15])).tolist() == [0.75]
    bare = SyntheticRun("b").scalar("train/loss", [0, 10, 20], [3, 2, 1]).build()
    assert "epoch" not in curve_view.x_axes(bare)
    assert curve_view.x_axis(bare, View(x="epoch")).kind == "step"  # drawn by step instead


def test_a_yolo_runs_map_has_a_main_chart_with_the_findings_evidence(tmp_path):
    # Written like YOLOv5 does (train losses, metrics/*, x/lr0), read and diagnosed for real:
    # mAP peaks at epoch 60 and falls back while the training loss keeps falling.
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp"))
    for epoch in range(150):
        for part, start in (("box", 0.1), ("obj", 0.06), ("cls", 0.04)):
            writer.add_scalar(f"train/{part}_loss", start * (0.1 + 0.9 * np.exp(-epoch / 30)), epoch)
        m = 0.05 + 0.74 * (1 - np.exp(-epoch / 15)) - 0.0018 * max(epoch - 60, 0)
        for tag, value in (("mAP_0.5", m), ("mAP_0.5:0.95", m / 2), ("precision", m + 0.1),
                           ("recall", m)):
            writer.add_scalar(f"metrics/{tag}", value, epoch)
        writer.add_scalar("x/lr0", 0.01, epoch)
    writer.close()
    run = reader.load(tmp_path / "exp").runs[0]
    report = engine.diagnose(run, lang="en")
    on_metric = [f for f in report.findings if any(e.tag == "val/metric" for e in f.evidence)]
    assert on_metric, [f.rule_id for f in report.findings]
    figs = dict(charts.figures(run, report, "en"))
    metric = figs["metric"]
    assert [d.name for d in metric.data] == ["val/metric (metrics/mAP_0.5)"]
    assert metric.data[0].line.color == ROLE_COLOR["val"]
    assert any(s.type == "rect" for s in metric.layout.shapes)  # the finding's window
    assert "metrics/mAP_0.5" not in charts.other_tags(run)  # up front, not in "other scalars"


def test_log_asked_for_over_a_narrow_span_still_has_labels():
    ticks = y_axis(np.array([2.30, 2.31, 2.33]), log="log")
    assert ticks["type"] == "log" and ticks["ticktext"] == ["2.3", "2.31", "2.32", "2.33"]


def test_relative_wall_time_is_in_a_readable_unit():
    run = SyntheticRun("w").scalar("train/loss", [0, 10, 20], [3, 2, 1]).build()
    run.scalars["wall_time"] = [1000.0, 1000.0 + 1800, 1000.0 + 7200]  # two hours in all
    wall = curve_view.x_axes(run)["wall"]
    assert wall.title == "x_wall_h" and wall.convert(np.array([10, 20])).tolist() == [0.5, 2.0]
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en",
                              View(x="wall")))["loss"]
    assert fig.layout.xaxis.title.text == "relative time (h)"
    assert "relative time (h): %{x" in fig.data[0].hovertemplate


def _epoch_logged_run(path, per_epoch: int, epochs: int = 4):
    """A real event file as Hugging Face's Trainer writes one: a fractional `epoch` at every
    logged step, val once an epoch; `per_epoch` steps an epoch (the batch size sets it)."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(path))
    for step in range(0, per_epoch * epochs + 1, per_epoch // 20):
        writer.add_scalar("train/loss", 2.0 / (1 + step / per_epoch), step)
        writer.add_scalar("epoch", step / per_epoch, step)
    for epoch in range(1, epochs + 1):
        writer.add_scalar("val/loss", 2.2 / (1 + epoch), epoch * per_epoch)
    writer.close()
    return reader.load(path).runs[0]


def test_overlays_of_runs_with_different_steps_per_epoch_line_up_by_epoch(tmp_path):
    from ui import compare_curves, overlay_chart

    parent = _epoch_logged_run(tmp_path / "bs64", 240)
    child = _epoch_logged_run(tmp_path / "bs11", 1380)  # a re-run with another batch size
    assert overlay_chart.steps_per_epoch(parent) == pytest.approx(240)
    assert overlay_chart.epochs_differ([parent, child]) == pytest.approx((240, 1380))
    assert overlay_chart.default_x([parent, child]) == "epoch"
    lines = compare_curves.lines([parent], [child], "en")
    assert [line.label for line in lines] == ["parent", "re-run"]
    fig = overlay_chart.overlay(lines, "val/loss", "en", View(), "epoch")
    assert fig.layout.xaxis.title.text == "epoch"
    drawn = {trace.name: np.asarray(trace.x) for trace in fig.data}
    # The same epoch at the same x, though the parent's epoch 2 is step 480 and the child's 2,760.
    assert drawn["parent"] == pytest.approx([1, 2, 3, 4]) and drawn["re-run"] == pytest.approx([1, 2, 3, 4])
    train = overlay_chart.overlay(lines, "train/loss", "en", View(smoothing=0.6), "epoch")
    ends = [max(trace.x) for trace in train.data]
    assert ends == pytest.approx([4.0] * len(ends))  # raw and smoothed, both sides
    # The Diagnose page's overview of runs picked together aligns them the same way...
    overview = overlay_chart.runs_overlay([("a", parent), ("b", child)], "val/loss", "en", View())
    assert overview.layout.xaxis.title.text == "epoch"
    assert np.asarray(overview.data[0].x) == pytest.approx(np.asarray(overview.data[1].x))
    # ...while runs batched alike stay on steps, as asked.
    twin = _epoch_logged_run(tmp_path / "twin", 240)
    assert overlay_chart.default_x([parent, twin]) == "step"
    same = overlay_chart.runs_overlay([("a", parent), ("b", twin)], "val/loss", "en", View())
    assert same.layout.xaxis.title.text == "step" and max(same.data[0].x) == 960


def test_a_training_without_a_parent_is_not_drawn_as_a_rerun(tmp_path):
    from ui import compare_curves, overlay_chart

    run = _epoch_logged_run(tmp_path / "new", 240)
    [line] = compare_curves.lines([], [run], "zh")
    assert line.label == "本运行" and line.bold
    fig = overlay_chart.overlay([line], "val/loss", "en", View(), "step")
    assert "re-run" not in fig.data[0].name and list(fig.data[0].x) == [240, 480, 720, 960]
