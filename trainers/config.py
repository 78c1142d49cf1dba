"""`TrainConfig`: the one typed, validated description of a built-in training run.

A re-run is its parent's config plus ONE change (`apply_change`), so every field is a plain
JSON value and `to_json()`/`from_json()` round-trip exactly. Invalid input raises
`ConfigError` with one line naming the key and the problem.

Every number is bounded above as well as below (`MAX`): a config is data someone else may have
written, and `width=100000000` would ask for a 25 GB weight matrix, `epochs=1e400` for an
infinite loop. The bounds are far beyond what the built-in datasets (at most ~1,800 samples)
can use; `MAX_WEIGHTS` bounds depth x width together.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args, get_type_hints

from diagnostics.messages import Msg


class ConfigError(ValueError):
    """A bad config key or value; the message is one line naming the key. Raised with a `Msg`
    (`diagnostics.messages`): `str(e)` is the English, `messages.render(e, lang)` any wording."""


# Upper bounds of the numeric settings (inclusive).
MAX = {
    "train_size": 1_000_000, "depth": 64, "lr": 100.0, "weight_decay": 10.0,
    "lr_step_size": 10_000, "grad_clip": 1e6, "early_stopping_patience": 10_000, "epochs": 10_000,
    "batch_size": 65_536, "log_every": 1_000_000, "hist_every": 1_000_000, "min_loss_points": 100_000,
}
MAX_WEIGHTS = 20_000_000  # bounds width: depth x width^2 hidden weights (x9: a cnn's 3x3 kernels)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """One training run. Defaults give a healthy digits MLP (see `scenarios.py` for faults)."""

    # -- data
    dataset: Literal["digits", "moons", "circles", "blobs"] = "digits"  # digits: 8x8 images
    train_size: int = 0  # 0 = all training samples; fewer provokes overfitting
    augment: bool = False  # digits: random 1-pixel shifts; 2-D sets: gaussian jitter
    label_noise: float = 0.0  # fraction of training labels replaced by random classes
    # -- model
    model: Literal["mlp", "cnn"] = "mlp"  # cnn needs dataset="digits"
    depth: int = 2  # hidden layers (mlp) or conv blocks (cnn)
    width: int = 64  # hidden units (mlp) or channels (cnn)
    activation: Literal["relu", "leaky_relu", "elu", "sigmoid", "tanh", "selu"] = "relu"
    # Fault injection: bad_negative_bias -> dead ReLUs, tiny_std -> vanishing, huge_std -> exploding.
    init: Literal["default", "xavier", "he", "bad_negative_bias", "tiny_std", "huge_std"] = "default"
    batch_norm: bool = False
    dropout: float = 0.0  # 0 <= p < 1, after each hidden activation
    # -- objective and optimiser
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"  # mse: softmax probs vs one-hot
    optimizer: Literal["sgd", "adagrad", "rmsprop", "adam"] = "adam"
    lr: float = 1e-3
    momentum: float = 0.0  # used by sgd and rmsprop; "sgd + momentum" = sgd with 0.9
    weight_decay: float = 0.0  # L2 penalty passed to the optimiser
    lr_schedule: Literal["constant", "step", "cosine"] = "constant"  # stepped once per epoch
    lr_step_size: int = 10  # epochs between decays ("step")
    lr_gamma: float = 0.1  # decay factor ("step")
    # Linear warm-up: epoch e < N trains at lr * (e + 1) / (N + 1), then the schedule runs over
    # the remaining epochs (a step/cosine schedule starts at the full lr). 0 = off.
    lr_warmup_epochs: int = 0
    grad_clip: float = 0.0  # max total grad norm; 0 = off
    early_stopping_patience: int = 0  # epochs without a val-loss improvement; 0 = off
    epochs: int = 20
    batch_size: int = 64
    # -- run
    seed: int = 0  # weights, data order, label noise and augmentation; NOT the train/val split
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto = cuda when available
    # Cadences: < 3 % instrument overhead even on the 0.5 ms/step 2x64 digits MLP
    # (benchmarks/hooks_overhead.py); short runs want denser logs (scenarios use 10 / 50).
    log_every: int = 100  # step scalars and instruments every N steps
    hist_every: int = 1000  # histograms every N steps; 0 = off
    # A short run at log_every=100 would leave the loss curve a handful of points, too few to
    # judge: the loop's own cheap scalars (train/loss, train/acc, opt/lr) are written at least
    # this many times per run (the instruments keep log_every). 0 = only every log_every steps.
    min_loss_points: int = 30

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_type(f.name, getattr(self, f.name), _HINTS[f.name])
        for name, ok, problem in self._rules():
            if not ok:
                raise ConfigError(Msg("config.rule", field=name, problem=problem, got=repr(getattr(self, name))))

    def _rules(self) -> Iterable[tuple[str, bool, Msg]]:
        """(field, holds, what it must be): the problem is a message (`diagnostics.messages`)."""
        yield "train_size", self.train_size >= 0, Msg("rule.compare_all", op=">=", n="0")
        yield self._at_most("train_size")
        yield "label_noise", 0.0 <= self.label_noise <= 1.0, Msg("rule.in_range", range="[0, 1]")
        yield "model", self.model == "mlp" or self.dataset == "digits", Msg("rule.cnn_digits")
        yield "depth", self.depth >= 1, Msg("rule.compare", op=">=", n="1")
        yield self._at_most("depth")
        yield "width", self.width >= 1, Msg("rule.compare", op=">=", n="1")
        yield ("width", self.weights() <= MAX_WEIGHTS,
               Msg("rule.width", n=self.max_width(), d=self.depth, w=MAX_WEIGHTS))
        yield "dropout", 0.0 <= self.dropout < 1.0, Msg("rule.in_range", range="[0, 1)")
        yield "lr", self.lr > 0.0, Msg("rule.compare", op=">", n="0")
        yield self._at_most("lr")
        yield "momentum", 0.0 <= self.momentum < 1.0, Msg("rule.in_range", range="[0, 1)")
        yield "weight_decay", self.weight_decay >= 0.0, Msg("rule.compare", op=">=", n="0")
        yield self._at_most("weight_decay")
        yield "lr_step_size", self.lr_step_size >= 1, Msg("rule.compare", op=">=", n="1")
        yield self._at_most("lr_step_size")
        yield "lr_gamma", 0.0 < self.lr_gamma <= 1.0, Msg("rule.in_range", range="(0, 1]")
        yield ("lr_warmup_epochs", self.lr_warmup_epochs == 0 or 0 < self.lr_warmup_epochs < self.epochs,
               Msg("rule.warmup"))
        yield "grad_clip", self.grad_clip >= 0.0, Msg("rule.compare_off", op=">=", n="0")
        yield self._at_most("grad_clip")
        yield "early_stopping_patience", self.early_stopping_patience >= 0, Msg("rule.compare", op=">=", n="0")
        yield self._at_most("early_stopping_patience")
        yield "epochs", self.epochs >= 1, Msg("rule.compare", op=">=", n="1")
        yield self._at_most("epochs")
        yield "batch_size", self.batch_size >= 1, Msg("rule.compare", op=">=", n="1")
        yield self._at_most("batch_size")
        yield "seed", 0 <= self.seed < 2**32, Msg("rule.in_range", range="[0, 2**32)")
        yield "log_every", self.log_every >= 1, Msg("rule.compare", op=">=", n="1")
        yield self._at_most("log_every")
        yield "hist_every", self.hist_every >= 0, Msg("rule.compare_off", op=">=", n="0")
        yield self._at_most("hist_every")
        yield "min_loss_points", self.min_loss_points >= 0, Msg("rule.compare_off", op=">=", n="0")
        yield self._at_most("min_loss_points")

    def _at_most(self, name: str) -> tuple[str, bool, Msg]:
        return name, getattr(self, name) <= MAX[name], Msg("rule.at_most", n=_n(MAX[name]))

    def weights(self) -> int:
        """Hidden weights the model would have (what MAX_WEIGHTS bounds)."""
        return self.depth * self.width**2 * (9 if self.model == "cnn" else 1)

    def max_width(self) -> int:
        return math.isqrt(MAX_WEIGHTS // (max(1, self.depth) * (9 if self.model == "cnn" else 1)))

    # ---- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        if not isinstance(data, Mapping):
            raise ConfigError(Msg("config.not_object", got=type(data).__name__))
        unknown = sorted(set(data) - set(_HINTS))
        if unknown:
            raise ConfigError(Msg("config.unknown_key", field=unknown[0]))
        # ints are valid floats in JSON ("lr": 1); store them as floats so round-trips are exact
        clean = {k: float(v) if _HINTS[k] is float and _is_int(v) else v for k, v in data.items()}
        return cls(**clean)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(Msg("config.invalid_json", why=e.msg, line=e.lineno)) from None
        except RecursionError:
            raise ConfigError(Msg("config.invalid_json", why="nested too deeply", line=1)) from None
        except ValueError as e:  # e.g. an integer of more than 4,300 digits
            raise ConfigError(Msg("config.invalid_json", why=" ".join(str(e).split())[:120], line=1)) from None
        return cls.from_dict(data)


def _n(x: float) -> str:
    """A bound as the message shows it: 1000000, not 1e+06."""
    return str(int(x)) if float(x).is_integer() else repr(x)


_HINTS: dict[str, Any] = get_type_hints(TrainConfig)
_NUMBER = r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
_MUL = re.compile(rf"^\s*[×xX*]\s*({_NUMBER})\s*$")
_ADD = re.compile(rf"^\s*([+-])\s*({_NUMBER})\s*$")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_type(name: str, value: Any, hint: Any) -> None:
    if get_args(hint):  # Literal[...] of strings
        if value not in get_args(hint):
            choices = ", ".join(get_args(hint))
            raise ConfigError(Msg("config.one_of", field=name, choices=choices, got=repr(value)))
    elif hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(Msg("config.expected_bool", field=name, got=repr(value)))
    elif hint is int:
        if not _is_int(value):
            raise ConfigError(Msg("config.expected_int", field=name, got=repr(value)))
    elif hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ConfigError(Msg("config.expected_finite", field=name, got=repr(value)))


def _coerce(name: str, value: str) -> Any:
    """An absolute value given as a string (CLI, UI) -> the field's type."""
    hint = _HINTS[name]
    text = value.strip()
    try:
        if hint is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if hint is int:
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if hint is float:
            return float(text)
    except ValueError:
        key = {bool: "config.expected_bool", int: "config.expected_int", float: "config.expected_number"}[hint]
        raise ConfigError(Msg(key, field=name, got=repr(value))) from None
    return text


def apply_change(config: TrainConfig, change: Mapping[str, Any]) -> TrainConfig:
    """The parent config with `change` applied; relative values resolve against the parent.

    "×0.1" / "x0.1" multiplies, "+1" / "-1" adds (ints stay ints; a product on an int field
    is rounded), any other string is an absolute value coerced to the field's type, and
    non-strings are taken as they are. The result is validated like any config.
    """
    updates: dict[str, Any] = {}
    for name, value in change.items():
        if name not in _HINTS:
            raise ConfigError(Msg("config.unknown_key", field=name))
        hint, old = _HINTS[name], getattr(config, name)
        numeric = hint in (int, float)
        mul = _MUL.match(value) if isinstance(value, str) and numeric else None
        add = _ADD.match(value) if isinstance(value, str) and numeric else None
        if mul:
            new: Any = old * float(mul.group(1))
            if not math.isfinite(new):
                raise ConfigError(Msg("config.expected_finite", field=name, got=repr(value)))
            new = round(new) if hint is int else new
        elif add:
            delta = float(add.group(2)) * (1 if add.group(1) == "+" else -1)
            if hint is int and not delta.is_integer():
                raise ConfigError(Msg("config.whole_step", field=name, got=repr(value)))
            new = old + (int(delta) if hint is int else delta)
        elif isinstance(value, str):
            new = _coerce(name, value)
        else:
            new = float(value) if hint is float and _is_int(value) else value
        updates[name] = new
    return replace(config, **updates)


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """CLI `--set key=value` pairs -> a change dict; values are JSON when they parse, else text."""
    change: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(Msg("config.expected_key_value", item=item))
        try:
            change[key] = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON (or an absurd integer): taken as text
            change[key] = raw
    return change
