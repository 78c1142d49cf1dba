"""Chart building (no Streamlit): thinning keeps spikes; evidence is drawn where it belongs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagnostics import engine, reader
from diagnostics.messages import Msg
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
        rule_id="overfitting", severity=Severity.WARNING, confidence=0.9,
        message=Msg("overfitting.found"), onset_step=200,
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


def test_each_chart_flips_between_linear_and_log_in_place_with_its_own_edge_marks():
    import plotly.graph_objects as go

    from ui.curve_traces import Curve, y_layout
    steps = np.arange(400)
    values = np.exp(-steps / 40.0) + 1e-4  # four decades: auto draws it on a log axis
    values[[50, 300]] = [1e6, 1e-9]  # one outlier above, one below: marked at the edge
    fig = go.Figure()
    curve = Curve("train/loss", steps, values, "#1f77b4")
    fig.add_scatter(x=steps, y=values)
    y_layout(fig, [curve], curve_view.STEP, default_log=True)
    assert fig.layout.yaxis.type == "log"
    [menu] = fig.layout.updatemenus
    linear, log = menu.buttons
    assert (linear.label, log.label, menu.active) == ("linear", "log", 1)  # the one shown is active
    marks = [i for i, d in enumerate(fig.data) if d.mode == "markers"]
    shown = [i for i in marks if fig.data[i].visible is not False]
    # log: the outliers above and below marked; linear: only the one above (1e-9 is near 0 there)
    assert len(shown) == 2 and len(marks) == 3
    for button, scale in ((linear, "linear"), (log, "log")):
        restyle, relayout, traces = button.args
        assert relayout["yaxis.type"] == scale and list(traces) == marks  # the curve itself is left alone
        on = [i for i, v in zip(traces, restyle["visible"]) if v]
        assert on == (shown if scale == "log" else [i for i in marks if i not in shown])
        # each scale's own range and ticks; the other's decade ticks cleared on linear
        assert (relayout["yaxis.tickvals"] is None) == (scale == "linear")
    lin_edge = max(fig.data[i].y[0] for i in marks if i not in shown)
    log_edge = max(fig.data[i].y[0] for i in shown)
    assert lin_edge < 1e6 and log_edge < 1e6 and lin_edge != log_edge
    # a curve that cannot be drawn on a log axis (it crosses zero) gets no buttons
    flat = go.Figure()
    y_layout(flat, [Curve("acc", steps, np.sin(steps / 9.0), "#1f77b4")], curve_view.STEP)
    assert not flat.layout.updatemenus


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
        figs = dict(charts.figures(run, engine.diagnose(run), "en"))
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
    [marks] = [d for d in fig.data if d.mode == "markers" and d.visible is not False]  # this scale's
    assert list(marks.x) == list(range(5, 15)) and set(marks.y) == {hi}
    assert np.asarray(marks.customdata).tolist() == [[500.0, step] for step in range(5, 15)]  # value, step
    assert [a.text for a in fig.layout.annotations] == ["→ inf at step 1990"]
    no_robust = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en",
                                    View(robust=False)))["loss"]
    assert no_robust.layout.yaxis.range is None  # the user can have the whole range back


def test_downsampling_keeps_evidence_points():
    steps = np.arange(1_000_000)
    values = np.cos(steps / 1e4)
    run = SyntheticRun("long").scalar("val/loss", steps, values).build()
    finding = Finding(rule_id="overfitting", severity=Severity.WARNING, confidence=0.9,
                      message=Msg("overfitting.found"), onset_step=123_457,
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
    report = engine.diagnose(run)
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


def _lightning_like_log(path, per_epoch: int, epochs: int, every: int, broken: dict | None = None):
    """A real event file written as Lightning's TensorBoardLogger writes one: the whole epoch
    at every logging step beside the train loss (the step is the batch index, from 0), val
    and the epoch at each epoch's last step. `broken`: step -> value written instead."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(path))
    for step in range(per_epoch * epochs):
        epoch = step // per_epoch
        if (step + 1) % every == 0:
            writer.add_scalar("train_loss", (broken or {}).get(step, 2.0 / (1 + step / per_epoch)), step)
            writer.add_scalar("epoch", epoch, step)
        if (step + 1) % per_epoch == 0:
            writer.add_scalar("val_loss", 2.2 / (2 + epoch), step)
            writer.add_scalar("epoch", epoch, step)
    writer.close()
    return reader.load(path).runs[0]


def test_the_inf_label_names_its_step_on_the_epoch_and_time_axes(tmp_path):
    run = _lightning_like_log(tmp_path / "pl", per_epoch=200, epochs=5, every=2,
                              broken={529: float("inf"), 309: 500.0, 319: 500.0})
    empty = Report(run="r", findings=(), not_assessed=())
    for x in ("step", "epoch", "wall"):
        axis = curve_view.x_axes(run)[x]
        fig = dict(charts.figures(run, empty, "en", View(x=x)))["loss"]
        [label] = fig.layout.annotations
        assert label.text == "train/loss (train_loss) → inf at step 529", x  # the step, whatever x shows
        assert label.x == pytest.approx(axis.convert(np.array([529]))[0]), x  # at the step's x
        [spikes] = [d for d in fig.data if d.mode == "markers" and d.visible is not False]  # at the edge
        assert np.asarray(spikes.x) == pytest.approx(axis.convert(np.array([309, 319])))
        assert ("step: %{customdata[1]" in spikes.hovertemplate) == (x != "step")  # hover names the step
    assert curve_view.x_axes(run)["epoch"].convert(np.array([529]))[0] == pytest.approx(529 / 200, rel=0.01)
    assert cm.step_label(1_000_000.0) == "1000000"  # not 1e+06


def test_an_overlay_by_epoch_names_the_step_of_an_inf_not_its_epoch(tmp_path):
    from ui import overlay_chart
    from ui.overlay_chart import Line

    parent = _lightning_like_log(tmp_path / "bs64", per_epoch=100, epochs=4, every=10)
    child = _lightning_like_log(tmp_path / "bs16", per_epoch=400, epochs=4, every=10,
                                broken={1239: float("nan")})
    lines = [Line("parent", parent, "#777"), Line("re-run", child, "#29b")]
    fig = overlay_chart.overlay(lines, "train/loss", "en", View(), "epoch")
    assert fig.layout.xaxis.title.text == "epoch"
    [label] = fig.layout.annotations
    assert label.text == "re-run → NaN at step 1239" and label.x == pytest.approx(1239 / 400, rel=0.01)


def test_lightnings_whole_epoch_at_every_step_is_spread_across_the_epoch(tmp_path):
    # A real Lightning fit (offline, CPU, a tiny MLP): its TensorBoardLogger writes `epoch` as
    # 0, 0, 0, 1, 1... at every logging step, which drew the train curve as vertical stacks.
    import lightning.pytorch as pl
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    class Net(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))

        def training_step(self, batch, batch_idx):
            loss = F.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", F.cross_entropy(self.net(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(320, 8, generator=gen)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    trainer = pl.Trainer(max_epochs=4, default_root_dir=tmp_path, log_every_n_steps=3, accelerator="cpu",
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Net(), DataLoader(data, batch_size=16), DataLoader(data, batch_size=320))
    run = reader.load(tmp_path / "lightning_logs").runs[0]
    logged = run.original("epoch")
    assert set(logged) == {0, 1, 2, 3} and logged.duplicated().any()  # whole, repeated: the stacks
    epoch = curve_view.x_axes(run)["epoch"]
    train = run.scalar("train/loss")
    at = epoch.convert(train.index.to_numpy())
    assert np.all(np.diff(at) > 0)  # no two train points on one x
    whole = logged.reindex(train.index).to_numpy()  # the epoch Lightning logged with each point
    assert np.all((at >= whole) & (at < whole + 1))  # each within its own epoch
    assert epoch.convert(np.array([20 * 4 - 1]))[0] == pytest.approx(4.0, abs=0.05)  # 20 steps an epoch
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en", View(x="epoch")))["loss"]
    drawn = next(np.asarray(d.x) for d in fig.data if d.name.startswith("train/loss"))
    assert len(np.unique(drawn)) == len(drawn) == len(train)


def test_whole_epochs_of_unequal_length_start_at_their_first_logged_step():
    steps = np.array([0, 10, 20, 30, 40, 50, 60, 70], dtype=float)
    epochs = np.array([0, 0, 1, 1, 1, 1, 2, 2], dtype=float)  # 20 steps, then 40: no one length
    knots = curve_view.spread_epochs(steps, epochs)
    assert knots[0].tolist() == [0, 20, 60, 100] and knots[1].tolist() == [0, 1, 2, 3]
    fractional = np.array([0, 0.5, 1.0, 1.5, 2, 2.5, 3, 3.5])  # Hugging Face: kept as logged
    assert curve_view.spread_epochs(steps, fractional)[1].tolist() == fractional.tolist()


def test_a_run_that_went_on_logging_nan_is_not_squeezed_into_the_first_percent():
    # As a real Lightning run did (reallabelled/33: finite to step 67k, NaN to 3.75 M): the x
    # axis ends a little after the first NaN, as TensorBoard's does, its label inside the chart.
    steps = np.arange(0, 1_000_000, 250)
    train = np.where(steps < 20_000, 2.0 - steps / 1e5, np.nan)
    val = np.where(steps < 25_000, 2.1 - steps / 1e5, np.nan)
    run = SyntheticRun("nan").scalar("train/loss", steps, train).scalar("val/loss", steps[::40], val[::40]).build()
    fig = dict(charts.figures(run, Report(run="r", findings=(), not_assessed=()), "en"))["loss"]
    lo, hi = fig.layout.xaxis.range
    assert (lo, hi) == (0, pytest.approx(30_000 * 1.05))  # the later first NaN, and 5 %
    labels = sorted(fig.layout.annotations, key=lambda a: a.ay)
    assert [a.text for a in labels] == ["train/loss → NaN at step 20000", "val/loss → NaN at step 30000"]
    assert labels[0].ay < labels[1].ay  # one under the other, not on top of it
    assert all(lo <= a.x <= hi for a in labels)
    finite = SyntheticRun("ok").scalar("train/loss", steps, np.where(steps == 500, np.inf, 1.0 + steps / 1e6)).build()
    assert dict(charts.figures(finite, Report(run="r", findings=(), not_assessed=()), "en"))["loss"] \
        .layout.xaxis.range is None  # finite to the end: the whole run, as before


def test_two_findings_labels_on_one_chart_do_not_overlap():
    run = curves.healthy().build()
    findings = tuple(Finding(rule_id=r, severity=Severity.WARNING, confidence=0.9, message=Msg(f"{r}.found"),
                             onset_step=200 + k,
                             evidence=(Evidence(tag="val/loss", steps=(200 + k, 440), statistic="s",
                                                value=1, threshold=1),))
                     for k, r in enumerate(("overfitting", "underfitting")))
    fig = dict(charts.figures(run, Report(run="r", findings=findings, not_assessed=()), "en"))["loss"]
    titles = [a for a in fig.layout.annotations if a.text[:3] in ("1. ", "2. ") and not a.text.endswith("onset")]
    onsets = [a for a in fig.layout.annotations if a.text.endswith("onset")]
    assert len(titles) == len(onsets) == 2
    assert titles[0].yshift != titles[1].yshift and onsets[0].yshift != onsets[1].yshift


def test_thinning_keeps_every_finite_point_of_a_mostly_nan_series():
    values = np.full(15_000, np.nan)  # reallabelled/33: 268 finite points, then NaN to the end
    values[:268] = np.sin(np.arange(268))
    values[100:110] = np.nan  # a stretch of NaN in the middle stays a break in the line
    kept = cm.thin_positions(values, charts.MAX_POINTS)
    assert set(np.flatnonzero(np.isfinite(values))) <= set(kept)
    assert {100, 268} <= set(kept) and len(kept) <= charts.MAX_POINTS


def test_margins_are_set_as_plotly_would_widen_them():
    # Plotly redraws a chart each time it widens a margin (tick labels, the legend): the room
    # is set from the start, with a legend row wherever plotly draws a legend.
    healthy, built = curves.healthy().build(), SyntheticRun("m")
    for tag in ("train/loss", "val/loss"):
        built.scalar(tag, healthy.scalar(tag).index, healthy.scalar(tag))
    run = built.scalar("opt/lr", [0, 100, 200], [1e-3, 1e-3, 1e-4]).build()
    empty = Report(run="r", findings=(), not_assessed=())
    plain = dict(charts.figures(run, empty, "en"))
    smooth = dict(charts.figures(run, empty, "en", View(smoothing=0.6)))
    assert plain["lr"].layout.margin.b == charts.BOTTOM  # one trace: no legend
    assert smooth["lr"].layout.margin.b > charts.BOTTOM  # raw + smoothed: plotly adds a legend
    assert plain["loss"].layout.margin.b == smooth["loss"].layout.margin.b > charts.BOTTOM
    assert {f.layout.margin.l for f in plain.values()} == {charts.LEFT}
    long_names = SyntheticRun("l")
    for k in range(12):
        long_names.scalar(f"grad_norm/encoder.layer.{k}.attention.output", [0, 1, 2], [1.0, 2.0, 3.0])
    wide = dict(charts.figures(long_names.build(), empty, "en"))["grad_norm"]
    assert wide.layout.margin.b >= plain["loss"].layout.margin.b + 3 * charts.LEGEND_ROW  # rows of entries
