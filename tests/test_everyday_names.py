"""Per-layer data logged under the names tutorials and users write, and runs that log only a
total gradient norm (Hugging Face, Lightning): real event files written with torch's
SummaryWriter from tiny real models, read by the reader and diagnosed by the engine.

The fault recipes are our scenarios' (`trainers.scenarios`: model, init, optimiser), trained
by hand for a few epochs; what a step's backward and forward gave is recorded once and then
logged under each naming style, as a tutorial's loop would log it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from diagnostics.engine import diagnose
from diagnostics.messages import english, render
from diagnostics.model import Finding, NotAssessed, Report
from diagnostics.reader import load
from diagnostics.rules import RULES
from diagnostics.rundata import RunData
from diagnostics.tags import layer_key, map_tags
from trainers.data import load_data
from trainers.hooks import ACTIVATION_TYPES, Instruments
from trainers.models import build_model
from trainers.scenarios import scenario_config

GRADIENT_RULES = ("vanishing_gradient", "exploding_gradient", "dead_relu")

# ---- naming styles, as tutorials write them ({name}: a parameter or module name) ----------
GRAD_HISTOGRAMS = ["gradients/{name}", "grads/{name}", "grad/{name}", "{name}.grad", "{name}/grad",
                   "{name}_grad", "gradient/{name}", "Gradients/{name}"]
ACT_HISTOGRAMS = ["activations/{name}", "activation/{name}", "acts/{name}", "{name}/activations",
                  "{name}_act"]
GRAD_NORMS = ["grad_norm/{name}", "gradients/{name}", "grad_norms/{name}", "gradient_norm/{name}",
              "grad_norm_{name}", "{name}/grad_norm", "{name}.grad_norm"]
DEAD_FRACTIONS = ["dead_frac/{name}", "dead_relu/{name}"]


# ---- recording a real training run once -------------------------------------------------
@dataclass
class Recorded:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    grads: list[dict[str, torch.Tensor]] = field(default_factory=list)  # parameter -> gradient
    acts: list[dict[str, torch.Tensor]] = field(default_factory=list)  # activation module -> output
    total_norm: list[float] = field(default_factory=list)  # over all parameters, as HF logs it
    layer_keys: tuple[str, ...] = ()  # what our instruments call the weighted layers


OPTIMIZERS = {
    "sgd": lambda params, c: torch.optim.SGD(params, lr=c.lr, momentum=c.momentum),
    "adam": lambda params, c: torch.optim.Adam(params, lr=c.lr),
}


def train(model: nn.Module, config, epochs: int, log_every: int = 10,
          amp_scaler: torch.amp.GradScaler | None = None) -> Recorded:
    """Train `model` on the scenario's data, recording every `log_every` steps."""
    flushes = torch.set_flush_denormal(True)  # vanishing gradients are ~6x slower as denormals
    try:
        return _train(model, config, epochs, log_every, amp_scaler)
    finally:
        if flushes:
            torch.set_flush_denormal(False)


def _train(model, config, epochs, log_every, amp_scaler) -> Recorded:
    data = load_data(config)
    opt = OPTIMIZERS[config.optimizer](model.parameters(), config)
    instruments = Instruments(model)  # only for its layer names
    instruments.close()
    rec = Recorded(layer_keys=tuple(instruments.weights))
    outputs: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, ACTIVATION_TYPES):
            module.register_forward_hook(lambda m, i, o, name=name: outputs.__setitem__(name, o.detach()))
    gen = torch.Generator().manual_seed(0)
    step = 0
    for _ in range(epochs):
        for idx in torch.randperm(len(data.x_train), generator=gen).split(config.batch_size):
            with torch.autocast("cpu", dtype=torch.float16, enabled=amp_scaler is not None):
                loss = nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            if amp_scaler is None:
                loss.backward()
            else:  # as Hugging Face's Trainer does with fp16=True
                amp_scaler.scale(loss).backward()
                amp_scaler.unscale_(opt)
            total = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
            if step % log_every == 0:
                rec.steps.append(step)
                rec.loss.append(loss.item())
                rec.total_norm.append(total.item())
                rec.grads.append({n: p.grad.detach().clone() for n, p in model.named_parameters()})
                rec.acts.append(dict(outputs))
            if amp_scaler is None:
                opt.step()
            else:
                amp_scaler.step(opt)
                amp_scaler.update()
            step += 1
    return rec


@cache
def scenario(name: str, epochs: int = 3) -> Recorded:
    """One of our fault scenarios, trained for `epochs` (few: the symptom shows early)."""
    config = scenario_config(name)
    torch.manual_seed(0)
    data = load_data(config)
    return train(build_model(config, data.input_shape, data.n_classes), config, epochs)


def write(path: Path, rec: Recorded, *, grads: str = "", norms: str = "", acts: str = "",
          dead: str = "", loss: str = "Loss/train", prefix: str = "") -> RunData:
    """Log a recorded run the way a tutorial's loop does, then read it back."""
    with SummaryWriter(str(path)) as w:
        for i, step in enumerate(rec.steps):
            w.add_scalar(loss, rec.loss[i], step)
            for name, g in rec.grads[i].items():
                if grads:
                    w.add_histogram(grads.format(name=prefix + name), g, step)
                if norms:
                    w.add_scalar(norms.format(name=prefix + name), g.norm().item(), step)
            for name, a in rec.acts[i].items():
                if acts:
                    w.add_histogram(acts.format(name=prefix + name), a, step)
                if dead:  # a unit is dead when it is 0 for every sample of the batch
                    w.add_scalar(dead.format(name=prefix + name), (a == 0).all(dim=0).float().mean().item(), step)
    runs = load(path).runs
    assert len(runs) == 1
    return runs[0]


def found(report: Report) -> dict[str, Finding]:
    return {f.rule_id: f for f in report.findings}


def layers(run: RunData, family: str) -> set[str]:
    return {c.partition("/")[2] for c in run.canonical_tags() if c.startswith(family + "/")}


# ---- per-layer data under everyday names ------------------------------------------------
@pytest.mark.parametrize("name, key", [
    ("fc1.weight", "fc1"), ("fc1/weight", "fc1"), ("model.fc1.weight", "fc1"), ("module.fc1.weight", "fc1"),
    ("_orig_mod.features.0.weight", "features.0"), ("dense_1/kernel_0", "dense_1"), ("fc1", "fc1"),
    ("lstm.weight_ih_l0", "lstm.weight_ih_l0"), ("cls_token", "cls_token"),
    ("fc1.bias", None), ("lstm.bias_ih_l0", None), ("attn.in_proj_bias", None), ("dense_1/bias_0", None),
    ("train", "total"), ("model", "total"),
])
def test_layer_keys_are_what_our_instruments_write(name, key):
    assert layer_key(name) == key


def test_histogram_rows_take_histograms_and_scalar_rows_scalars():
    names = ["gradients/fc1.weight", "gradients/fc2.weight", "grad_norm_epoch", "grad_norm_step"]
    assert map_tags(names, histogram_tags=["gradients/fc1.weight"]) == {
        "gradients/fc1.weight": "grad/fc1", "gradients/fc2.weight": "grad_norm/fc2",
        "grad_norm_step": "grad_norm/total", "grad_norm_epoch": None}  # Lightning: the step one
    assert map_tags(["loss"], histogram_tags=["loss"]) == {"loss": None}  # a histogram is not a loss curve
    assert map_tags(["gradients/fc1.weight"]) == {"gradients/fc1.weight": "grad/fc1"}  # kinds unknown


@pytest.mark.parametrize("style", GRAD_HISTOGRAMS)
def test_gradient_histograms_under_everyday_names_show_vanishing_gradients(tmp_path, style):
    rec = scenario("vanishing_gradient")  # 8 sigmoid layers, N(0, 0.01) weights, plain SGD
    run = write(tmp_path, rec, grads=style)
    assert layers(run, "grad") == set(rec.layer_keys)  # fc1..fc8, out: as our instruments name them
    assert all(run.tag_map[t] is None for t in run.tag_map if "bias" in t)  # biases never taken
    vanishing = found(diagnose(run)).get("vanishing_gradient")
    assert vanishing is not None and vanishing.evidence[0].tag in {f"grad/{k}" for k in rec.layer_keys}
    assert "Gradients vanish on the way back" in english(vanishing.message)


@pytest.mark.parametrize("style", GRAD_NORMS)
def test_per_layer_norm_scalars_under_everyday_names_show_vanishing_gradients(tmp_path, style):
    rec = scenario("vanishing_gradient")
    run = write(tmp_path, rec, norms=style)
    assert layers(run, "grad_norm") == set(rec.layer_keys)
    assert "vanishing_gradient" in found(diagnose(run))


def test_the_same_name_is_a_histogram_in_one_run_and_a_norm_in_another(tmp_path):
    rec = scenario("vanishing_gradient")
    as_histogram = write(tmp_path / "h", rec, grads="gradients/{name}")
    as_scalar = write(tmp_path / "s", rec, norms="gradients/{name}")
    assert as_histogram.tag_map["gradients/fc1.weight"] == "grad/fc1"
    assert as_scalar.tag_map["gradients/fc1.weight"] == "grad_norm/fc1"


@pytest.mark.parametrize("style", ACT_HISTOGRAMS)
def test_activation_histograms_under_everyday_names_show_dead_relus(tmp_path, style):
    rec = scenario("dead_relu")  # one ReLU layer whose biases start at -3
    run = write(tmp_path, rec, acts=style)
    assert layers(run, "act") == {"act1"}
    assert "dead_relu" in found(diagnose(run))


@pytest.mark.parametrize("style", DEAD_FRACTIONS)
def test_dead_fractions_under_everyday_names_show_dead_relus(tmp_path, style):
    run = write(tmp_path, scenario("dead_relu"), dead=style)
    assert layers(run, "dead_frac") == {"act1"}
    assert "dead_relu" in found(diagnose(run))


def test_dead_unit_counts_are_not_taken_for_fractions(tmp_path):
    rec = scenario("dead_relu")
    with SummaryWriter(str(tmp_path)) as w:
        for i, step in enumerate(rec.steps):
            w.add_scalar("Loss/train", rec.loss[i], step)
            w.add_scalar("dead_relu/act1", (rec.acts[i]["act1"] == 0).all(dim=0).sum().item(), step)  # a count
    result = RULES["dead_relu"].run(load(tmp_path).runs[0])
    assert isinstance(result, NotAssessed) and "counts or percentages" in english(result.reason)


@pytest.mark.parametrize("styles", [
    dict(grads="gradients/{name}", acts="activations/{name}"),
    dict(grads="{name}.grad", acts="{name}_act"),
    dict(norms="{name}/grad_norm", dead="dead_relu/{name}"),
    dict(norms="gradients/{name}", dead="dead_frac/{name}"),
], ids=lambda styles: "+".join(styles.values()))
def test_a_healthy_run_under_everyday_names_is_judged_and_quiet(tmp_path, styles):
    run = write(tmp_path, scenario("healthy"), **styles)  # 2 ReLU layers, Adam 1e-3: learns well
    assert layers(run, "grad" if "grads" in styles else "grad_norm") == {"fc1", "fc2", "out"}
    assert layers(run, "act" if "acts" in styles else "dead_frac") == {"act1", "act2"}
    assert set(GRADIENT_RULES) <= set(diagnose(run).passed)


@pytest.mark.parametrize("prefix, style", [("model.", "gradients/{name}"), ("module.", "grads/{name}"),
                                           ("", "{name}/grad")])
def test_wrapped_and_slashed_parameter_names_give_our_layer_keys(tmp_path, prefix, style):
    # A LightningModule's `self.model`, DataParallel's `module.`; TF-style `fc1/weight`.
    rec = scenario("vanishing_gradient")
    if not prefix:
        rec = replace(rec, grads=[{n.replace(".", "/"): g for n, g in grads.items()} for grads in rec.grads])
    run = write(tmp_path, rec, grads=style, prefix=prefix)
    assert layers(run, "grad") == set(rec.layer_keys)
    assert "vanishing_gradient" in found(diagnose(run))


def test_weight_histograms_stay_unmapped_and_norm_scalars_map(tmp_path):
    rec = scenario("healthy", epochs=1)
    with SummaryWriter(str(tmp_path)) as w:
        for i, step in enumerate(rec.steps):
            w.add_scalar("Loss/train", rec.loss[i], step)
            for name, g in rec.grads[i].items():
                for style in ("weights/{name}", "params/{name}", "parameters/{name}", "{name}"):
                    w.add_histogram(style.format(name=name), torch.randn_like(g), step)  # no rule reads these
                w.add_scalar(f"weights_norm/{name}", 1.0, step)
                w.add_scalar(f"param_norm/{name}", 1.0, step)
                w.add_scalar(f"update_to_weight/{name}", 1e-3, step)
    run = load(tmp_path).runs[0]
    assert {t for t, c in run.tag_map.items() if c and c.split("/")[0] in ("grad", "act")} == set()
    assert run.tag_map["fc1.weight"] is None and run.tag_map["weights/fc1.weight"] is None
    assert layers(run, "weight_norm") == layers(run, "update_ratio") == {"fc1", "fc2", "out"}


# ---- runs that log only a total gradient norm -------------------------------------------
def write_total_only(path: Path, rec: Recorded, *, writer: str = "huggingface") -> RunData:
    """The scalars a Hugging Face Trainer (or a LightningModule) logs: loss, total norm, lr."""
    names = {"huggingface": ("train/loss", "train/grad_norm", "train/learning_rate"),
             "lightning": ("train_loss", "grad_2.0_norm_total", "lr-SGD")}[writer]
    with SummaryWriter(str(path)) as w:
        for i, step in enumerate(rec.steps):
            for tag, value in zip(names, (rec.loss[i], rec.total_norm[i], 1e-3)):
                w.add_scalar(tag, value, step)
            if writer == "huggingface":
                w.add_scalar("train/epoch", step / 22, step)
    run = load(path).runs[0]
    assert run.has("grad_norm/total") and not run.layers("grad_norm") and not run.histogram_tags("grad")
    return run


def test_total_norm_only_a_healthy_run_is_judged_and_quiet(tmp_path):
    for writer in ("huggingface", "lightning"):
        report = diagnose(write_total_only(tmp_path / writer, scenario("healthy"), writer=writer))
        assert {"vanishing_gradient", "exploding_gradient"} <= set(report.passed), writer


def test_total_norm_only_no_weight_gets_a_gradient(tmp_path):
    # tanh MLP, N(0, 0.01) weights and no biases (as transformer projections often are): every
    # activation shrinks layer by layer, so every weight's gradient is tiny; loss stays at ln 10.
    config = replace(scenario_config("vanishing_gradient"), activation="tanh", depth=6)
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(config.depth) for m in
                            (nn.Linear(64, 64, bias=False), nn.Tanh())], nn.Linear(64, 10, bias=False))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    rec = train(model, config, epochs=3)
    assert max(rec.total_norm) < 1e-4 and min(rec.loss) > 2.2
    f = found(diagnose(write_total_only(tmp_path, rec)))["vanishing_gradient"]
    assert "Judged from the total norm only" in english(f.message) and f.confidence <= 0.6
    assert f.evidence[0].tag == "grad_norm/total"
    assert "仅根据总梯度范数判断" in render(f.message, "zh")


def test_total_norm_only_an_explosion_is_found(tmp_path):
    # Our exploding scenario (N(0, 1) weights, SGD + momentum): the norm grows by orders of
    # magnitude and the loss turns non-finite.
    rec = scenario("exploding_gradient", epochs=1)
    assert not all(map(math.isfinite, rec.loss))
    for writer in ("huggingface", "lightning"):
        f = found(diagnose(write_total_only(tmp_path / writer, rec, writer=writer)))["exploding_gradient"]
        assert "Judged from the total gradient norm only" in english(f.message) and f.confidence <= 0.6


def test_total_norm_only_mixed_precision_overflows_are_not_an_explosion(tmp_path):
    # fp16 autocast with a loss scaler, as Trainer(fp16=True) runs: the first steps and every
    # scale increase overflow (inf/NaN norm, step skipped); the loss stays finite and falls.
    config = scenario_config("healthy")
    torch.manual_seed(0)
    data = load_data(config)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**24, growth_interval=10)
    rec = train(build_model(config, data.input_shape, data.n_classes), config, epochs=3,
                log_every=1, amp_scaler=scaler)
    assert sum(not math.isfinite(n) for n in rec.total_norm) >= 3 and all(map(math.isfinite, rec.loss))
    report = diagnose(write_total_only(tmp_path, rec))
    assert "exploding_gradient" in report.passed
