"""The quality benchmark's style re-writer (benchmarks/naming_styles.py): one tiny run of ours,
re-written by the real SummaryWriter in each foreign naming style, reads back to the same
canonical losses and values (Keras: the per-epoch means, at epoch indices)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from benchmarks import naming_styles
from diagnostics.reader import load
from trainers.config import TrainConfig
from trainers.hooks import _histogram, write_histograms

SPE = 4  # steps per epoch
EPOCHS = 3


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """A 3-epoch run as our trainer writes it: loop scalars every other step, val at epoch
    ends, per-layer grad norms, grad/act histograms, config.json."""
    folder = tmp_path_factory.mktemp("ours") / "run"
    folder.mkdir()
    config = TrainConfig(depth=2, width=8, epochs=EPOCHS, log_every=2, hist_every=4)
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    rng = np.random.default_rng(0)
    w = SummaryWriter(str(folder))
    wall = 1_700_000_000.0
    for step in range(0, SPE * EPOCHS, 2):
        wall += 1.0
        for tag, value in {"train/loss": 2.3 * 0.8 ** step, "train/acc": min(1.0, 0.1 + 0.08 * step),
                           "opt/lr": 1e-3, "grad_norm/total": 1.5 + 0.1 * step,
                           "grad_norm/fc1": 0.5, "grad_norm/fc2": 0.7, "grad_norm/out": 1.0}.items():
            w.add_scalar(tag, value, step, walltime=wall)
        if step % 4 == 0:
            hists = {"grad/fc1": _histogram(torch.tensor(rng.normal(0, 0.1, 200))),
                     "act/act1": _histogram(torch.tensor(np.maximum(rng.normal(0, 1, 200), 0)))}
            write_histograms(w, step, hists)
    for epoch in range(1, EPOCHS + 1):
        w.add_scalar("val/loss", 2.0 - 0.3 * epoch, epoch * SPE, walltime=wall + epoch)
        w.add_scalar("val/acc", 0.5 + 0.1 * epoch, epoch * SPE, walltime=wall + epoch)
    w.close()
    return load(folder).runs[0]


def canonical(run, tag):
    series = run.scalar(tag)
    assert series is not None, f"{tag} not mapped in {dict(run.tag_map)}"
    return series


@pytest.mark.parametrize("style", [s for s in naming_styles.STYLES if s != "keras"])
def test_step_styles_map_back_to_the_same_losses_and_values(ours, tmp_path, style):
    run = load(naming_styles.rewrite(ours, tmp_path / style, style)).runs
    assert len(run) == 1
    run = run[0]
    tags = ["train/loss", "val/loss", "val/acc", "opt/lr"] + (["train/acc"] if style == "tutorial" else [])
    for tag in tags:
        got, want = canonical(run, tag), canonical(ours, tag)
        assert list(got.index) == list(want.index), tag
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-6, err_msg=tag)
    if style in ("hf", "lightning"):  # the total grad norm is these writers' own tag
        np.testing.assert_allclose(canonical(run, "grad_norm/total").to_numpy(),
                                   canonical(ours, "grad_norm/total").to_numpy(), rtol=1e-6)
    if style == "hf":
        assert not run.histograms.size and not run.layers("grad_norm")  # no per-layer data
        assert run.writer == "huggingface" and not run.has("train/acc")


def test_keras_writes_epoch_means_at_epoch_indices(ours, tmp_path):
    run = load(naming_styles.rewrite(ours, tmp_path / "keras", "keras")).runs[0]
    assert run.writer == "keras"
    want = ours.scalar("train/loss")
    means = [want[(want.index // SPE) == e].mean() for e in range(EPOCHS)]
    np.testing.assert_allclose(canonical(run, "train/loss").to_numpy(), means, rtol=1e-6)
    assert list(canonical(run, "train/loss").index) == list(range(EPOCHS))
    val = canonical(run, "val/loss")
    assert list(val.index) == list(range(EPOCHS))
    np.testing.assert_allclose(val.to_numpy(), ours.scalar("val/loss").to_numpy(), rtol=1e-6)
    assert run.has("val/acc") and run.has("train/acc") and run.has("opt/lr")


def test_per_layer_data_keeps_its_values_under_the_foreign_names(ours, tmp_path):
    lightning = load(naming_styles.rewrite(ours, tmp_path / "l", "lightning")).runs[0]
    names = set(lightning.scalars["tag"].unique())
    assert {"grad_2.0_norm/model.0.weight", "grad_2.0_norm/model.2.weight",
            "grad_2.0_norm/model.4.weight", "grad_2.0_norm_total", "lr-Adam", "epoch"} <= names
    np.testing.assert_allclose(lightning.original("grad_2.0_norm/model.0.weight").to_numpy(),
                               ours.original("grad_norm/fc1").to_numpy(), rtol=1e-6)
    tutorial = load(naming_styles.rewrite(ours, tmp_path / "t", "tutorial")).runs[0]
    assert {"gradients/net.0.weight", "activations/fc1"} <= set(tutorial.histograms["tag"].unique())
    np.testing.assert_allclose(tutorial.original("grad_norm/net.2.weight").to_numpy(),
                               ours.original("grad_norm/fc2").to_numpy(), rtol=1e-6)
    for theirs, mine in (("gradients/net.0.weight", "grad/fc1"), ("activations/fc1", "act/act1")):
        a = tutorial.histograms[tutorial.histograms["tag"] == theirs]
        b = ours.histograms[ours.histograms["tag"] == mine]
        for col in ("step", "left", "right", "count"):  # the buckets round-trip exactly
            np.testing.assert_allclose(a[col].to_numpy(np.float64), b[col].to_numpy(np.float64),
                                       rtol=1e-6, err_msg=col)


def test_a_second_rewrite_into_the_same_folder_is_refused(ours, tmp_path):
    naming_styles.rewrite(ours, tmp_path / "hf", "hf")
    with pytest.raises(FileExistsError):
        naming_styles.rewrite(ours, tmp_path / "hf", "hf")
    with pytest.raises(ValueError, match="unknown style"):
        naming_styles.rewrite(ours, tmp_path / "x", "fastai")
