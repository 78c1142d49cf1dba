"""The instruments on a user's own nn.Module and a plain loop.

Values are checked on the instrument's in-memory record; tensorboard's EventAccumulator is
used only to confirm what the writer put into the event file.
"""
from __future__ import annotations

import math
import os

import pytest
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from trainers.hooks import instrument, speed_up_event_writing


class TinyConvNet(nn.Module):
    """A user's model: a shared ReLU module called twice, a Sequential, no naming scheme."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh())
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.head = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x):
        x = self.relu(self.conv(self.features(x)))
        return self.head(self.relu(x).flatten(1))  # second call of the same module


def train_loop(model, inst, steps: int, lr: float = 0.1) -> None:
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
    for step in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        inst.after_backward(step)
        opt.step()
        inst.after_step(step, {"train/loss": loss.item()} if inst.due(step) else None)
        with torch.no_grad():  # an eval forward between steps must not disturb the record
            model(torch.randn(4, 1, 8, 8))


def test_user_model_gets_every_canonical_tag_on_cadence(tmp_path):
    torch.manual_seed(0)
    model = TinyConvNet()
    writer = SummaryWriter(str(tmp_path), flush_secs=1)
    inst = instrument(model, writer, every=3, hist_every=4)
    train_loop(model, inst, steps=10)
    inst.close()
    writer.close()

    layers = ["features.0", "conv", "head"]  # qualified names, dots kept
    expected = {"grad_norm/total", *(f"{f}/{n}" for f in ("grad_norm", "weight_norm", "update_ratio")
                                     for n in layers), "dead_frac/features.1", "dead_frac/relu",
                "dead_frac/relu#1", "train/loss"}  # the loop's own scalar shares the event
    assert set(inst.records) == expected
    for tag in expected:
        assert [s for s, _ in inst.records[tag]] == [0, 3, 6, 9], tag
    assert all(0.0 <= v <= 1.0 for t in expected if t.startswith("dead_frac") for _, v in inst.records[t])
    assert inst.records["train/loss"][0][1] > 0

    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    assert set(events.Tags()["scalars"]) == expected
    assert [e.step for e in events.Scalars("grad_norm/total")] == [0, 3, 6, 9]
    written = events.Scalars("update_ratio/head")[1].value
    assert written == pytest.approx(inst.records["update_ratio/head"][1][1])
    histograms = {f"grad/{n}" for n in layers} | {"act/features.1", "act/relu", "act/relu#1"}
    assert set(events.Tags()["histograms"]) == histograms
    hist = events.Histograms("act/relu")
    assert [h.step for h in hist] == [0, 4, 8]
    assert len(hist[0].histogram_value.bucket) <= 65 and hist[0].histogram_value.min == 0.0
    assert sum(hist[0].histogram_value.bucket) == 16 * 4 * 8 * 8
    assert [f for f in os.listdir(tmp_path) if f.startswith("events")], "events stay in the folder"


def test_values_match_direct_computation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():  # units 0-3 can never fire, units 4-7 always do
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([-1.0] * 4 + [1.0] * 4))
    inst = instrument(model, None, every=1, hist_every=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    F.cross_entropy(model(x), y).backward()
    inst.after_backward(0)
    expected_total = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf")).item()
    before = model[2].weight.detach().clone()
    opt.step()
    inst.after_step(0)
    inst.close()

    assert inst.records["dead_frac/1"] == [(0, 0.5)]
    assert inst.records["grad_norm/total"][0][1] == pytest.approx(expected_total, rel=1e-5)
    assert inst.records["grad_norm/2"][0][1] == pytest.approx(model[2].weight.grad.norm().item(), rel=1e-5)
    ratio = ((model[2].weight - before).norm() / before.norm()).item()
    assert inst.records["update_ratio/2"][0][1] == pytest.approx(ratio, rel=1e-5)
    assert inst.last("weight_norm") == pytest.approx(
        {"0": model[0].weight.norm().item(), "2": model[2].weight.norm().item()})


def test_hooks_are_only_registered_for_logging_steps_and_removed_by_close():
    model = TinyConvNet()
    hooked = lambda: any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())  # noqa: E731
    inst = instrument(model, None, every=5, hist_every=0)
    assert hooked()  # the first forward may be a logging step
    train_loop(model, inst, steps=2)  # after step 1 the next logging step is 5
    assert not hooked()
    train_loop(model, inst, steps=5)  # ends after step 4: step 5 is due
    assert hooked()
    inst.close()
    assert not hooked()


def test_non_finite_gradients_are_recorded_not_fatal(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    writer = SummaryWriter(str(tmp_path))
    inst = instrument(model, writer, every=1, hist_every=1)
    model(torch.randn(5, 3)).sum().backward()
    model[0].weight.grad[0, 0] = float("nan")
    inst.after_backward(0)
    inst.after_step(0)
    inst.close()
    writer.close()
    assert math.isnan(inst.records["grad_norm/total"][0][1])
    assert math.isnan(inst.records["grad_norm/0"][0][1])
    assert math.isfinite(inst.records["grad_norm/2"][0][1])


def test_any_writer_with_add_scalar_works():
    class Recorder:  # e.g. another SummaryWriter implementation without `file_writer`
        def __init__(self):
            self.scalars, self.histograms = [], []

        def add_scalar(self, tag, value, step):
            self.scalars.append((tag, step))

        def add_histogram_raw(self, tag, **kwargs):
            assert len(kwargs["bucket_limits"]) == len(kwargs["bucket_counts"])
            self.histograms.append((tag, kwargs["global_step"]))

    model = nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 2))
    writer = Recorder()
    inst = instrument(model, writer, every=2, hist_every=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(3):
        opt.zero_grad()
        model(torch.randn(6, 3)).sum().backward()
        inst.after_backward(step)
        opt.step()
        inst.after_step(step)
    inst.close()
    assert ("grad_norm/total", 2) in writer.scalars and ("dead_frac/1", 0) in writer.scalars
    assert ("act/1", 2) in writer.histograms and ("grad/0", 0) in writer.histograms


def test_fast_checksums_match_tensorboards_own():
    pytest.importorskip("google_crc32c")
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    from tensorboard.summary.writer import record_writer

    assert speed_up_event_writing()
    for data in (b"", b"x", os.urandom(100), os.urandom(4097)):
        assert record_writer.masked_crc32c(data) == masked_crc32c(data)


def test_the_own_loop_example_runs_as_shown_and_the_readme_shows_it(tmp_path, monkeypatch):
    # The README and the Guide page show OWN_LOOP_EXAMPLE; here it runs on a user's model.
    from diagnostics.reader import load
    from trainers.hooks import OWN_LOOP_EXAMPLE

    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    assert f"```python\n{OWN_LOOP_EXAMPLE}```" in readme
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    model = TinyConvNet()
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 3, (64,))
    namespace = {"model": model, "loader": [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)] * 60,
                 "loss_fn": F.cross_entropy, "opt": torch.optim.SGD(model.parameters(), lr=0.05)}
    exec(compile(OWN_LOOP_EXAMPLE, "OWN_LOOP_EXAMPLE", "exec"), namespace)  # noqa: S102
    namespace["writer"].close()
    run = load(tmp_path / "runs" / "mine").runs[0]
    assert {"train/loss", "grad_norm/total"} <= run.canonical_tags()
    assert set(run.layers("grad_norm")) == {"features.0", "conv", "head"}
    assert len(run.scalar("train/loss")) == 3  # steps 0, 100, 200 of 240
    assert run.histogram_tags("grad") and run.histogram_tags("act")
