"""Two-process distributed fits (CPU, gloo) with `RunDoctorCallback`, run by
tests/test_callbacks.py in a child process, as a user launches them:

    python -m tests.distributed_fits lightning OUT
        Lightning's "ddp" strategy starts the second process itself, by running this module again
    python -m torch.distributed.run --nproc_per_node 2 -m tests.distributed_fits huggingface OUT

Every process writes its pid to OUT/ranks/<global rank> when training starts, so that the test
can tell which process wrote each event file (tensorboard names them `...<host>.<pid>.<n>`).
The model is `mlp()` seeded with 0 and the data `data(ROWS)`: the two processes' first batches
are all of it whatever the sampler's order, so that the test can compute the all-reduced gradient
of the first optimizer step itself. Imports only its own framework.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

STEPS = 6
BATCH = 32  # per process
ROWS = 2 * BATCH  # one optimizer step per epoch: all rows, split between the two processes


def mlp(bias: float = 0.0, scale: float = 1.0) -> nn.Sequential:
    """16 -> 32 -> 32 -> 3 with ReLUs; a fault is injected into its initial weights."""
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    with torch.no_grad():
        for layer in net[::2]:
            layer.weight.mul_(scale)
            layer.bias.fill_(bias)
    return net


def data(n: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 16, generator=gen)
    return x, (x @ torch.randn(16, 3, generator=gen)).argmax(1)  # learnable: a linear rule


class HFNet(nn.Module):
    """A plain nn.Module as the Hugging Face Trainer takes it: keyword inputs, a dict with the loss."""

    def __init__(self, **fault):
        super().__init__()
        self.net = mlp(**fault)

    def forward(self, x, labels=None):
        logits = self.net(x)
        return {"loss": F.cross_entropy(logits, labels), "logits": logits}


class Rows(Dataset):
    """Rows as the Trainer's collator takes them: one dict per example."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


def note_rank(out: Path, rank: int) -> None:
    (out / "ranks").mkdir(parents=True, exist_ok=True)
    (out / "ranks" / str(rank)).write_text(str(os.getpid()))


def lightning_fits(out: Path) -> None:
    """Two fits in the same two processes: with the default TensorBoardLogger (the callback
    writes into the logger's event file) and with a CSVLogger (it writes an event file of its
    own, in the logger's folder)."""
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader, TensorDataset

    from trainers.callbacks.lightning import RunDoctorCallback

    class Lit(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = mlp()

        def training_step(self, batch, batch_idx):
            loss = F.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.3)

    class Ranks(pl.Callback):
        def on_train_start(self, trainer, pl_module):
            note_rank(out, trainer.global_rank)

    x, y = data(ROWS)
    for logger in (True, CSVLogger(out / "csv")):
        torch.manual_seed(0)
        model = Lit()
        trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_steps=STEPS,
                             default_root_dir=out / "tb", logger=logger, log_every_n_steps=1,
                             callbacks=[RunDoctorCallback(every=1, hist_every=3), Ranks()],
                             enable_progress_bar=False, enable_model_summary=False,
                             enable_checkpointing=False)
        trainer.fit(model, DataLoader(TensorDataset(x, y), batch_size=BATCH))  # a DistributedSampler


def huggingface_fit(out: Path) -> None:
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from trainers.callbacks.huggingface import RunDoctorCallback

    class Ranks(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            note_rank(out, args.process_index)

    torch.manual_seed(0)
    model = HFNet()
    args = TrainingArguments(str(out), max_steps=STEPS, per_device_train_batch_size=BATCH, learning_rate=0.3,
                             optim="sgd", lr_scheduler_type="constant", logging_steps=1, max_grad_norm=0.0,
                             report_to=["tensorboard"], save_strategy="no", disable_tqdm=True, use_cpu=True,
                             ddp_backend="gloo")
    Trainer(model=model, args=args, train_dataset=Rows(*data(ROWS)),
            callbacks=[RunDoctorCallback(every=1, hist_every=3), Ranks()]).train()


if __name__ == "__main__":
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(1)
    {"lightning": lightning_fits, "huggingface": huggingface_fit}[sys.argv[1]](Path(sys.argv[2]))
    # As a DDP script should end: both ranks leave the process group together. Left to exit,
    # gloo's threads may still be running when one rank is torn down ("terminate called...").
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
