"""TrainConfig: validation, exact JSON round-trip, relative changes and `--set` parsing."""
from __future__ import annotations

import dataclasses
import json

import pytest

from trainers.config import ConfigError, TrainConfig, apply_change, parse_set
from trainers.scenarios import SCENARIOS, scenario_config


def test_defaults_are_valid_and_documented_values():
    c = TrainConfig()
    assert (c.dataset, c.model, c.activation, c.optimizer, c.loss) == (
        "digits", "mlp", "relu", "adam", "cross_entropy")
    assert c.grad_clip == 0.0 and c.early_stopping_patience == 0 and c.train_size == 0


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_json_and_dict_round_trip_exactly(name):
    c = scenario_config(name, seed=7)
    assert TrainConfig.from_json(c.to_json()) == c
    assert TrainConfig.from_dict(c.to_dict()) == c
    assert TrainConfig.from_json(c.to_json()).to_json() == c.to_json()


def test_ints_given_for_float_fields_become_floats():
    c = TrainConfig.from_dict({"lr": 1, "dropout": 0})
    assert c.lr == 1.0 and isinstance(c.lr, float) and isinstance(c.dropout, float)
    assert json.loads(c.to_json())["lr"] == 1.0


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().lr = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"learning_rate": 0.1}, "learning_rate"),  # unknown key
        ({"epochs": "10"}, "epochs"),  # wrong type
        ({"epochs": 1.5}, "epochs"),
        ({"epochs": True}, "epochs"),  # a bool is not an int here
        ({"batch_norm": "yes"}, "batch_norm"),
        ({"lr": float("nan")}, "lr"),
        ({"dataset": "mnist"}, "dataset"),  # not one of the choices
        ({"init": "kaiming"}, "init"),
        ({"lr": 0}, "lr"),  # out of range
        ({"dropout": 1.0}, "dropout"),
        ({"momentum": 1.0}, "momentum"),
        ({"depth": 0}, "depth"),
        ({"label_noise": 1.5}, "label_noise"),
        ({"log_every": 0}, "log_every"),
        ({"seed": -1}, "seed"),
        ({"model": "cnn", "dataset": "moons"}, "model"),  # cross-field
        ({"lr_warmup_epochs": -1}, "lr_warmup_epochs"),
        ({"lr_warmup_epochs": 20, "epochs": 20}, "lr_warmup_epochs"),  # no epoch left after it
    ],
)
def test_bad_values_are_rejected_with_one_line_naming_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(data)
    message = str(err.value)
    assert message.startswith(f"{key}:") and "\n" not in message
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("text", ["{", "[1, 2]", '"lr"'])
def test_bad_json_is_a_config_error(text):
    with pytest.raises(ConfigError, match="^config: "):
        TrainConfig.from_json(text)


def test_apply_change_resolves_relative_values_against_the_parent():
    parent = TrainConfig(lr=0.01, depth=3, width=64, epochs=20)
    assert apply_change(parent, {"lr": "×0.1"}).lr == pytest.approx(0.001)
    assert apply_change(parent, {"lr": "x10"}).lr == pytest.approx(0.1)
    child = apply_change(parent, {"depth": "+1"})
    assert child.depth == 4 and isinstance(child.depth, int)
    assert apply_change(parent, {"depth": "-1"}).depth == 2
    assert apply_change(parent, {"width": "x1.5"}).width == 96  # products on ints are rounded
    assert apply_change(parent, {"lr": "+0.01"}).lr == pytest.approx(0.02)
    assert parent.depth == 3  # the parent is untouched


def test_apply_change_coerces_absolute_values_to_the_field_type():
    parent = TrainConfig()
    child = apply_change(parent, {"batch_norm": "true", "lr": "0.05", "epochs": "7",
                                  "optimizer": "sgd", "momentum": 0.9, "weight_decay": 0})
    assert child.batch_norm is True and child.lr == 0.05 and child.epochs == 7
    assert child.optimizer == "sgd" and child.momentum == 0.9
    assert child.weight_decay == 0.0 and isinstance(child.weight_decay, float)
    assert apply_change(child, {"batch_norm": "False"}).batch_norm is False


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"nope": 1}, "nope"),
        ({"depth": "+0.5"}, "depth"),  # an int field needs a whole step
        ({"depth": "-5"}, "depth"),  # the result is validated
        ({"batch_norm": "maybe"}, "batch_norm"),
        ({"epochs": "many"}, "epochs"),
        ({"optimizer": "x2"}, "optimizer"),  # no arithmetic on choices
        ({"lr": "x-1"}, "lr"),
    ],
)
def test_apply_change_rejects_bad_changes(change, key):
    with pytest.raises(ConfigError, match=f"^{key}:"):
        apply_change(TrainConfig(), change)


def test_parse_set_reads_json_values_else_text():
    change = parse_set(["lr=0.01", "optimizer=adam", "batch_norm=true", "lr_gamma=x0.5",
                        "epochs=+1", "depth=-1", "dropout = 0.2"])
    assert change == {"lr": 0.01, "optimizer": "adam", "batch_norm": True, "lr_gamma": "x0.5",
                      "epochs": "+1", "depth": -1, "dropout": 0.2}
    parent = TrainConfig(depth=3, lr_gamma=0.2)
    child = apply_change(parent, parse_set(["lr_gamma=x0.5", "epochs=+1", "depth=2"]))
    assert (child.lr_gamma, child.epochs, child.depth) == (pytest.approx(0.1), 21, 2)


@pytest.mark.parametrize("item", ["lr", "=0.1", ""])
def test_parse_set_needs_key_equals_value(item):
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_set([item])
