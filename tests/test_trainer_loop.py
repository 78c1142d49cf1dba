"""The loop's knobs (early stopping, schedules, every model option) and the data's contract."""
from __future__ import annotations

import json

import pytest
import torch

from trainers import loop
from trainers.config import TrainConfig, apply_change
from trainers.data import load_data
from trainers.loop import train
from trainers.scenarios import scenario_config


def status_of(result) -> dict:
    return json.loads((result.run_dir / "status.json").read_text())


def test_early_stopping_stops_on_val_loss_and_keeps_the_best(tmp_path):
    config = apply_change(scenario_config("overfitting"), {"early_stopping_patience": 3})
    result = train(config, tmp_path, progress=False)
    h = result.history
    assert result.state == "early_stopped" and status_of(result)["state"] == "early_stopped"
    assert len(h.val_loss) < config.epochs
    assert h.val_loss.index(min(h.val_loss)) == len(h.val_loss) - 4  # 3 epochs without a gain
    best = torch.load(result.run_dir / "checkpoints" / "best.pt", weights_only=False)
    assert best["val_loss"] == min(h.val_loss) == status_of(result)["best_val_loss"]


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_lr_schedules_step_once_per_epoch(tmp_path, schedule):
    config = TrainConfig(dataset="moons", epochs=4, lr=0.1, optimizer="sgd", lr_schedule=schedule,
                         lr_step_size=1, lr_gamma=0.5, log_every=5)
    h = train(config, tmp_path, progress=False).history
    if schedule == "step":
        assert h.lr == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    else:
        assert h.lr[0] == 0.1 and all(a > b for a, b in zip(h.lr, h.lr[1:]))
    assert {v for _, v in h.scalars["opt/lr"]} == set(h.lr)


@pytest.mark.parametrize(("schedule", "after"), [
    ("constant", [0.1, 0.1, 0.1]),
    ("step", [0.1, 0.05, 0.025]),  # the decay counts epochs after the warm-up
    ("cosine", [0.1, 0.075, 0.025]),  # cosine over the 3 epochs after the warm-up
])
def test_linear_warm_up_then_the_schedule(tmp_path, schedule, after):
    config = TrainConfig(dataset="moons", epochs=5, lr=0.1, optimizer="sgd", lr_schedule=schedule,
                         lr_step_size=1, lr_gamma=0.5, lr_warmup_epochs=2, log_every=5)
    h = train(config, tmp_path, progress=False).history
    assert h.lr == pytest.approx([0.1 / 3, 0.2 / 3, *after])
    assert TrainConfig(lr_warmup_epochs=0).to_dict()["lr_warmup_epochs"] == 0  # off by default


def test_every_model_option_trains(tmp_path):
    config = TrainConfig(model="cnn", depth=2, width=8, batch_norm=True, dropout=0.2, augment=True,
                         optimizer="rmsprop", momentum=0.5, weight_decay=1e-4, grad_clip=1.0,
                         activation="elu", init="he", epochs=2, log_every=5, hist_every=10)
    result = train(config, tmp_path, progress=False)
    assert result.state == "done" and result.history.val_acc[-1] > 0.5
    assert {"conv1", "conv2", "out"} <= set(result.history.last("grad_norm"))
    assert set(result.history.last("dead_frac")) == {"act1", "act2"}
    for dataset in ("circles", "blobs"):
        config = TrainConfig(dataset=dataset, optimizer="adagrad", lr=0.05, init="xavier",
                             augment=True, activation="selu", epochs=3, log_every=5)
        assert train(config, tmp_path, progress=False).history.val_acc[-1] > 0.6


def test_a_crash_is_recorded_as_failed(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(loop, "_evaluate", broken)
    with pytest.raises(RuntimeError):
        train(TrainConfig(dataset="moons", epochs=2), tmp_path, progress=False)
    (run_dir,) = tmp_path.iterdir()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "failed" and "disk on fire" in status["error"]
    assert status["finished"] is not None


def test_run_folders_are_unique_within_one_second(tmp_path):
    config = TrainConfig(dataset="moons", epochs=1)
    dirs = {train(config, tmp_path, progress=False, run_name="same").run_dir for _ in range(3)}
    assert len(dirs) == 3 and all(d.name.startswith("same-") and "-s0" in d.name for d in dirs)


def test_split_is_fixed_and_seed_drives_only_noise_and_order():
    a, b = load_data(TrainConfig(seed=0)), load_data(TrainConfig(seed=1))
    assert torch.equal(a.x_val, b.x_val) and torch.equal(a.x_train, b.x_train)
    assert a.x_train.mean(0).abs().max() < 1e-4  # standardised on the training part
    small = load_data(TrainConfig(train_size=100, label_noise=0.5, seed=3))
    assert len(small.x_train) == 100 and torch.equal(small.x_train, a.x_train[:100])
    changed = (small.y_train != a.y_train[:100]).float().mean().item()
    assert 0.3 < changed < 0.6  # half re-drawn, a tenth of those land on the true class
    assert load_data(TrainConfig(model="cnn")).input_shape == (1, 8, 8)


def test_short_runs_still_log_enough_loss_points(tmp_path):
    # 3 epochs of digits = 69 steps: log_every=100 alone would leave train/loss one point.
    dense = train(TrainConfig(epochs=3, hist_every=0), tmp_path, progress=False).history
    steps = [s for s, _ in dense.scalars["train/loss"]]
    assert len(steps) >= 30 and steps[:3] == [0, 2, 4]
    assert len(dense.scalars["train/acc"]) == len(dense.scalars["opt/lr"]) == len(steps)
    # the instruments keep their own cadence (step 0 only here)
    assert [s for s, _ in dense.scalars["grad_norm/total"]] == [0]
    sparse = train(TrainConfig(epochs=3, hist_every=0, min_loss_points=0), tmp_path,
                   progress=False).history
    assert [s for s, _ in sparse.scalars["train/loss"]] == [0]
