"""`RunDoctorCallback` in real PyTorch Lightning and Hugging Face `Trainer` runs (offline, tiny
models built from code, random data), each read back by the doctor.

Per framework: a healthy run, one with ReLU biases at -3 (dead ReLUs) and one with a 30x init
(exploding gradients); every run is diagnosed from the framework's own log folder. Distributed:
two real processes on the CPU (gloo), launched as a user does (tests/distributed_fits.py).
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")

import lightning.pytorch as pl  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402
from transformers import Trainer, TrainingArguments  # noqa: E402

from diagnostics.engine import diagnose  # noqa: E402
from diagnostics.messages import english  # noqa: E402
from diagnostics.reader import load  # noqa: E402
from tests import distributed_fits as ddp_fits  # noqa: E402
from tests.conftest import REPO  # noqa: E402
from tests.distributed_fits import HFNet, Rows, data, mlp  # noqa: E402
from trainers.callbacks import HUGGINGFACE_EXAMPLE, LIGHTNING_EXAMPLE  # noqa: E402
from trainers.callbacks import huggingface as hf_cb  # noqa: E402
from trainers.callbacks import lightning as pl_cb  # noqa: E402

GRADIENT_RULES = ("exploding_gradient", "vanishing_gradient", "dead_relu")
FAULTS = {"healthy": {}, "dead_relu": {"bias": -3.0}, "exploding_gradient": {"scale": 30.0}}
QUIET = dict(enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)


class LitNet(pl.LightningModule):
    def __init__(self, **fault):
        super().__init__()
        self.net = mlp(**fault)  # training_step calls self.net, not self: no module forward

    def training_step(self, batch, batch_idx):
        loss = F.cross_entropy(self.net(batch[0]), batch[1])
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", F.cross_entropy(self.net(batch[0]), batch[1]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.3)


def hf_args(out: Path, **changes) -> TrainingArguments:
    settings = dict(num_train_epochs=10, per_device_train_batch_size=32, learning_rate=0.3,
                    optim="sgd", lr_scheduler_type="constant", logging_steps=2,
                    report_to=["tensorboard"], save_strategy="no", disable_tqdm=True, use_cpu=True)
    return TrainingArguments(str(out), **{**settings, **changes})


def diagnosed(path: Path):
    result = load(path)
    assert not result.errors and len(result.runs) == 1, (result.errors, [r.run for r in result.runs])
    run = result.runs[0]
    return run, diagnose(run)


def check_diagnosis(run, report, kind: str) -> None:
    assert set(run.layers("grad_norm")) == {"net.0", "net.2", "net.4"}
    assert {"net.1", "net.3"} <= set(run.layers("dead_frac"))
    assert set(run.layers("update_ratio")) == set(run.layers("weight_norm")) == {"net.0", "net.2", "net.4"}
    assert run.histogram_tags("grad") and run.histogram_tags("act")
    found = {f.rule_id for f in report.findings}
    if kind == "healthy":
        assert report.findings == ()
        assert set(GRADIENT_RULES) <= set(report.passed)  # assessed, and nothing found
    else:
        assert kind in found, [(f.rule_id, english(f.message)) for f in report.findings]
        assert not found & (set(GRADIENT_RULES) - {kind})
        not_assessed = {n.rule_id: english(n.reason) for n in report.not_assessed}
        for rule in GRADIENT_RULES:  # assessed: nothing is missing (a finding may silence one)
            assert "does not log" not in not_assessed.get(rule, ""), not_assessed


# ---- Lightning -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", FAULTS)
def test_a_lightning_fit_is_diagnosed_from_its_own_log_folder(tmp_path, kind):
    torch.manual_seed(0)
    x, y = data()
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(x[:128], y[:128]), batch_size=64)
    trainer = pl.Trainer(max_epochs=10, default_root_dir=tmp_path, log_every_n_steps=2,
                         callbacks=[pl_cb.RunDoctorCallback(every=2, hist_every=10)], **QUIET)
    trainer.fit(LitNet(**FAULTS[kind]), train, val)
    version = tmp_path / "lightning_logs" / "version_0"
    assert len(list(version.glob("events.out.tfevents.*"))) == 1  # the logger's own file
    run, report = diagnosed(tmp_path)
    assert run.writer == "pytorch-lightning" and {"train/loss", "val/loss"} <= run.canonical_tags()
    check_diagnosis(run, report, kind)


def test_the_standalone_pytorch_lightning_package_and_a_logger_without_tensorboard(tmp_path):
    import pytorch_lightning as ptl
    from pytorch_lightning.loggers import CSVLogger

    class Net(ptl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = mlp()

        def training_step(self, batch, batch_idx):
            return F.cross_entropy(self(batch[0]), batch[1])

        def forward(self, x):
            return self.net(x)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    x, y = data(128)
    trainer = ptl.Trainer(max_steps=8, logger=CSVLogger(tmp_path), **QUIET,
                          callbacks=[pl_cb.RunDoctorCallback(every=2, hist_every=4)])
    trainer.fit(Net(), DataLoader(TensorDataset(x, y), batch_size=16))
    events = list((tmp_path / "lightning_logs" / "version_0").glob("events.out.tfevents.*"))
    assert len(events) == 1  # its own file, in the CSV logger's folder
    run = load(tmp_path).runs[0]
    assert sorted(run.scalar("grad_norm/total").index) == [0, 2, 4, 6]
    assert set(run.layers("dead_frac")) == {"net.1", "net.3"}


def test_lightning_mixed_precision_gradients_are_measured_unscaled(tmp_path):
    from lightning.pytorch.plugins.precision import MixedPrecision

    x, y = data(64)

    def grad_norms(**precision) -> list[float]:
        torch.manual_seed(1)
        callback = pl_cb.RunDoctorCallback(every=1, hist_every=0)
        kept = {}
        close = callback._close
        callback._close = lambda: (callback.instruments and kept.update(callback.instruments.records), close())
        trainer = pl.Trainer(max_steps=2, logger=False, callbacks=[callback], default_root_dir=tmp_path,
                             **QUIET, **precision)
        trainer.fit(LitNet(), DataLoader(TensorDataset(x, y), batch_size=32))
        return [v for _, v in kept["grad_norm/total"]]

    scaler = torch.amp.GradScaler("cpu")  # a real loss scaler (65536) on the CPU
    scaled = grad_norms(plugins=[MixedPrecision("16-mixed", "cpu", scaler=scaler)])
    assert scaler.get_scale() >= 2 ** 10
    assert scaled == pytest.approx(grad_norms(), rel=0.05)
    assert len(list((tmp_path / "lightning_logs" / "run_doctor").glob("events.out.tfevents.*"))) == 2


# ---- Hugging Face Trainer ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", FAULTS)
def test_a_hugging_face_trainer_run_is_diagnosed_from_its_own_log_folder(tmp_path, kind):
    torch.manual_seed(0)
    x, y = data()
    callback = hf_cb.RunDoctorCallback(every=2, hist_every=10)
    trainer = Trainer(model=HFNet(**FAULTS[kind]), args=hf_args(tmp_path), train_dataset=Rows(x, y),
                      callbacks=[callback])
    trainer.train()
    folders = {p.parent for p in (tmp_path / "runs").glob("*/events.out.tfevents.*")}
    assert folders == {Path(callback.log_dir)}  # beside the Trainer's own event file
    run, report = diagnosed(tmp_path)
    assert run.writer == "huggingface" and "train/loss" in run.canonical_tags()
    check_diagnosis(run, report, kind)


def test_hugging_face_with_clipping_off_writes_its_own_total(tmp_path):
    x, y = data(128)
    callback = hf_cb.RunDoctorCallback(every=1, hist_every=0)
    Trainer(model=HFNet(), args=hf_args(tmp_path, num_train_epochs=1, max_grad_norm=0.0),
            train_dataset=Rows(x, y), callbacks=[callback]).train()
    run = load(tmp_path).runs[0]
    assert "grad_norm/total" in run.tag_map.values()
    assert sorted(run.scalar("grad_norm/total").index) == [0, 1, 2, 3]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_hugging_face_mixed_precision_gradients_are_measured_unscaled(tmp_path, precision):
    """bf16 autocast on the CPU (`bf16=True, use_cpu=True`), and fp16 with a real loss scaler
    (65536): accelerate leaves fp16 autocast and scaling to accelerators, so its GPU set-up (a
    GradScaler, native AMP) is put in place before training. The norms the doctor reads back
    are finite and equal to a float32 run's."""
    x, y = data(64)

    def grad_norms(out: Path, scaler=None, **precision) -> list[float]:
        torch.manual_seed(1)
        trainer = Trainer(model=HFNet(), train_dataset=Rows(x, y),
                          args=hf_args(out, max_steps=3, max_grad_norm=0.0, **precision),
                          callbacks=[hf_cb.RunDoctorCallback(every=1, hist_every=0)])
        if scaler is not None:  # as Accelerator.__init__ sets them for fp16 on a GPU
            trainer.accelerator.scaler = scaler  # taken by the optimizer it prepares in train()
            trainer.accelerator.native_amp = True  # fp16 autocast, and unscaling before the norm
        trainer.train()
        return load(out).runs[0].scalar("grad_norm/total").sort_index().tolist()

    scaler = torch.amp.GradScaler("cpu") if precision == "fp16" else None
    mixed = grad_norms(tmp_path / precision, scaler=scaler, **{precision: True})
    if scaler is not None:
        assert scaler.get_scale() >= 2 ** 10  # the gradients were really scaled
    assert len(mixed) == 3 and all(map(math.isfinite, mixed))
    assert mixed == pytest.approx(grad_norms(tmp_path / "fp32"), rel=0.05)


def test_hugging_face_logging_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    args = SimpleNamespace(output_dir=str(tmp_path))
    fresh = Path(hf_cb.logging_dir(args))  # no TensorBoardCallback folder: the one it would make
    assert fresh.parent == tmp_path / "runs" and not fresh.exists()
    made = tmp_path / "runs" / "Nov30_10-00-00_host"
    made.mkdir(parents=True)
    (made / "events.out.tfevents.1.host.1.0").write_bytes(b"")
    assert hf_cb.logging_dir(args) == str(made)
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "tb"))
    assert hf_cb.logging_dir(args) == str(tmp_path / "tb")
    assert hf_cb.logging_dir(SimpleNamespace(output_dir="x", logging_dir="logs")) == "logs"  # 4.x


# ---- both ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_lightning_ddp_on_two_processes_only_rank_zero_measures_and_writes(tmp_path):
    """`strategy="ddp"`, 2 CPU processes (gloo), as a user launches it; two fits: with the
    default TensorBoardLogger, and with a CSVLogger (the callback's own event file: the folder is
    asked on every rank, since `trainer.log_dir` is a broadcast; asked by rank 0 alone, it hung)."""
    ranks = launch(["-m", "tests.distributed_fits", "lightning"], tmp_path)
    written = event_tags(tmp_path)
    assert {writer_pid(f) for f in written} == {ranks[0]}  # rank 1 wrote no event file at all
    tb, csv = (tmp_path / sub / "lightning_logs" / "version_0" for sub in ("tb", "csv"))
    assert sorted(f.parent for f in written) == sorted([tb, csv])  # one file in each
    for f, tags in written.items():
        assert INSTRUMENT_TAGS <= tags, (f, tags)
    assert "train_loss" in written[next(tb.glob("events.out.tfevents.*"))]  # the logger's own file
    for folder in (tb, csv):
        check_all_reduced(load(folder).runs[0])
    run, report = diagnosed(tmp_path / "tb")
    assert set(GRADIENT_RULES) <= set(report.passed)  # the doctor assessed them from rank 0's file


@pytest.mark.slow
def test_hugging_face_ddp_on_two_processes_only_rank_zero_measures_and_writes(tmp_path):
    """`torch.distributed.run --nproc_per_node 2` on the CPU (gloo, `ddp_backend="gloo"`)."""
    ranks = launch(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                    "-m", "tests.distributed_fits", "huggingface"], tmp_path)
    written = event_tags(tmp_path)
    assert {writer_pid(f) for f in written} == {ranks[0]}  # rank 1 wrote no event file at all
    ours = [f for f, tags in written.items() if INSTRUMENT_TAGS <= tags]
    assert len(ours) == 1 and len(written) == 2, written  # ours, beside the Trainer's own file
    assert {f.parent for f in written} == {ours[0].parent}
    run, report = diagnosed(tmp_path)
    check_all_reduced(run)
    assert set(GRADIENT_RULES) <= set(report.passed)


INSTRUMENT_TAGS = {"grad_norm/net.0", "update_ratio/net.0", "weight_norm/net.4", "dead_frac/net.1", "grad/net.2"}


def launch(args: list[str], out: Path, timeout: float = 240) -> dict[int, int]:
    """`python ARGS OUT` in a process group of its own (a hung launch is killed with all its
    processes); the pid of each rank, as the processes noted them."""
    launcher = {"MASTER_ADDR", "MASTER_PORT", "RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK"}
    env = {k: v for k, v in os.environ.items() if k not in launcher}  # a fresh launch, a free port
    proc = subprocess.Popen([sys.executable, *args, str(out)], cwd=REPO, env={**env, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"still running after {timeout:g} s:\n{proc.communicate()[0][-3000:]}")
    assert proc.returncode == 0, log[-3000:]
    ranks = {int(f.name): int(f.read_text()) for f in (out / "ranks").iterdir()}
    assert set(ranks) == {0, 1} and ranks[0] != ranks[1], ranks
    return ranks


def event_tags(folder: Path) -> dict[Path, set[str]]:
    """Every event file under `folder`, with the tags it holds."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return {f: {v.tag for event in EventFileLoader(str(f)).Load() for v in event.summary.value}
            for f in folder.rglob("events.out.tfevents.*")}


def writer_pid(event_file: Path) -> int:
    return int(event_file.name.split(".")[-2])  # events.out.tfevents.<time>.<host>.<pid>.<n>


def check_all_reduced(run) -> None:
    """The first step's per-layer gradient norms are those of the gradient over all the rows,
    which the two processes shared (DDP's all-reduce), not of either process's half."""
    x, y = ddp_fits.data(ddp_fits.ROWS)

    def norms(rows: slice) -> dict[str, float]:
        torch.manual_seed(0)
        net = ddp_fits.mlp()
        F.cross_entropy(net(x[rows]), y[rows]).backward()
        return {f"net.{i}": net[i].weight.grad.norm().item() for i in (0, 2, 4)}

    logged = {layer: run.scalar(f"grad_norm/{layer}").sort_index().iloc[0] for layer in ("net.0", "net.2", "net.4")}
    assert logged == pytest.approx(norms(slice(None)), rel=1e-4)
    assert logged != pytest.approx(norms(slice(0, ddp_fits.BATCH)), rel=0.02)  # the test can tell


def test_the_examples_run_as_shown_and_the_readme_shows_them(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for example in (LIGHTNING_EXAMPLE, HUGGINGFACE_EXAMPLE):
        assert f"```python\n{example}```" in readme
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    x, y = data(256)
    loaders = {"train_loader": DataLoader(TensorDataset(x, y), batch_size=8),  # 160 steps
               "val_loader": DataLoader(TensorDataset(x[:64], y[:64]), batch_size=64)}
    exec(compile(LIGHTNING_EXAMPLE, "LIGHTNING_EXAMPLE", "exec"), {"model": LitNet(), **loaders})  # noqa: S102
    run = load(tmp_path / "lightning_logs").runs[0]
    assert {"train/loss", "grad_norm/total"} <= run.canonical_tags() and run.layers("dead_frac")
    exec(compile(HUGGINGFACE_EXAMPLE, "HUGGINGFACE_EXAMPLE", "exec"),  # noqa: S102
         {"model": HFNet(), "train_ds": Rows(x, y)})
    run = load(tmp_path / "out").runs[0]
    assert run.writer == "huggingface"
    assert {"train/loss", "grad_norm/total"} <= run.canonical_tags() and run.layers("dead_frac")


OWN_IMPORTS = {  # top-level packages each callback module may import (besides the stdlib)
    "lightning": {"lightning", "pytorch_lightning", "trainers", "torch"},
    "huggingface": {"transformers", "trainers", "torch"},
}


@pytest.mark.parametrize("name", OWN_IMPORTS)
def test_a_callback_imports_only_its_own_framework(name):
    # (`import lightning` itself may import transformers, through torchmetrics: not ours)
    import ast

    tree = ast.parse((REPO / "trainers" / "callbacks" / f"{name}.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - set(sys.stdlib_module_names) - {"__future__"} <= OWN_IMPORTS[name]


def test_the_instruments_and_the_examples_import_no_framework_and_no_app():
    code = ("import sys, trainers.hooks, trainers.callbacks; print(','.join(m for m in "
            "('lightning', 'pytorch_lightning', 'transformers', 'streamlit', 'plotly', 'diagnostics') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stderr[-2000:]
