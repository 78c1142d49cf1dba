"""The two fits the callback-overhead A/B runs in (see `benchmarks/callback_overhead.py`): our
trainer's default digits MLP and seeded batches (`setup`), trained by Lightning's `Trainer.fit`
or the Hugging Face `Trainer`, each with a timing callback that switches the callback list at
block boundaries (`Blocks`); `measure` runs one framework through the A/B plan and reports.
"""
from __future__ import annotations

import os
import tempfile

# offline before transformers is first imported (it reads these at import): no hub look-ups
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402

from benchmarks.callback_blocks import Blocks, Plan, ab_plan, make_blocks  # noqa: E402
from benchmarks.callback_estimate import report  # noqa: E402
from trainers.config import TrainConfig  # noqa: E402
from trainers.data import load_data  # noqa: E402
from trainers.models import build_model  # noqa: E402

DEFAULTS = TrainConfig()


class Batches(Dataset):
    """Batch k: the rows idx[k] of the training set (gathered when asked: no copy of every batch)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor):
        self.x, self.y, self.idx = x, y, idx

    def __len__(self):
        return len(self.idx)

    def __getitem__(self, k):
        i = self.idx[k]
        return self.x[i], self.y[i]


class Rows(Dataset):
    """The same batches as rows, in order (the Trainer batches them by 64, sequentially)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor):
        self.x, self.y, self.idx = x, y, idx.flatten()

    def __len__(self):
        return len(self.idx)

    def __getitem__(self, i):
        j = self.idx[i]
        return {"x": self.x[j], "labels": self.y[j]}


# ---- Lightning --------------------------------------------------------------------------------
def lightning_fit(net: nn.Module, data, plan: Plan, warm: str, tmp: str, count: bool = False) -> Blocks:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import TensorBoardLogger

    from trainers.callbacks.lightning import RunDoctorCallback

    class Lit(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net

        def training_step(self, batch, batch_idx):
            loss = F.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=DEFAULTS.lr)

    class Timer(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            blocks.step_start()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            new = blocks.step_end(trainer.global_step, trainer.callbacks)  # global_step: steps done
            if new is not None:
                trainer.callbacks = new  # a new list: the one being iterated is left as it is

    lit, timer = Lit(), Timer()
    blocks = make_blocks("lightning", plan, warm, RunDoctorCallback(), pl.Callback(), timer, lit, count)
    trainer = pl.Trainer(max_steps=plan.steps, logger=TensorBoardLogger(tmp),
                         callbacks=[*blocks.extras[warm], timer], enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, num_sanity_val_steps=0)
    x, y, idx = data
    blocks.own_every = trainer.log_every_n_steps
    trainer.fit(lit, DataLoader(Batches(x, y, idx[:plan.steps]), batch_size=None))  # the batches as they are
    return blocks


# ---- Hugging Face ---------------------------------------------------------------------------
def huggingface_fit(net: nn.Module, data, plan: Plan, warm: str, tmp: str, count: bool = False) -> Blocks:
    from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments

    from trainers.callbacks.huggingface import RunDoctorCallback

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x, labels=None):
            logits = self.net(x)
            return {"loss": F.cross_entropy(logits, labels), "logits": logits}

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            blocks.step_start()

        def on_step_end(self, args, state, control, **kwargs):
            handler = trainer.callback_handler
            new = blocks.step_end(state.global_step, handler.callbacks)  # global_step: steps done
            if new is not None:
                handler.callbacks = new  # a new list: the one being iterated is left as it is

    model, timer = Model(), Timer()
    blocks = make_blocks("huggingface", plan, warm, RunDoctorCallback(), TrainerCallback(), timer, model, count)
    args = TrainingArguments(tmp, max_steps=plan.steps, per_device_train_batch_size=DEFAULTS.batch_size,
                             learning_rate=DEFAULTS.lr, report_to=["tensorboard"], save_strategy="no",
                             disable_tqdm=True, use_cpu=True, dataloader_drop_last=True,
                             train_sampling_strategy="sequential")
    x, y, idx = data
    trainer = Trainer(model=model, args=args, train_dataset=Rows(x, y, idx[:plan.steps]),
                      callbacks=[*blocks.extras[warm], timer])
    trainer.remove_callback(PrinterCallback)  # no printed log lines (its tqdm is off)
    blocks.own_every = int(args.logging_steps)
    trainer.train()
    return blocks


FRAMEWORKS = {"lightning": lightning_fit, "huggingface": huggingface_fit}


def setup(max_steps: int):
    """Our trainer's default digits MLP (seeded) and `max_steps` batches of 64 rows (seeded)."""
    torch.manual_seed(0)
    data = load_data(DEFAULTS)
    net = build_model(DEFAULTS, data.input_shape, data.n_classes)
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, len(data.x_train), (max_steps, DEFAULTS.batch_size), generator=gen)
    return net, (data.x_train, data.y_train, idx)


def measure(framework: str, steps: int = 20000, block: int = 10, count: bool = False, out: str | None = None,
            null: bool = False) -> dict:
    """One fit of `framework` with the A/B plan: the blocks' times, the checks' counts and the
    estimates (see `report`). `out`: the framework's output folder (default: a temporary one).
    `null`: every block off, the times read as the plan labels them (an A/A test)."""
    plan = ab_plan(steps, block)
    run = Plan(plan.start, block, ["off"] * len(plan.states)) if null else plan
    net, data = setup(plan.steps)
    with tempfile.TemporaryDirectory() as tmp:
        blocks = FRAMEWORKS[framework](net, data, run, "off" if null else "doctor", out or tmp, count)
    blocks.plan = plan
    return report(blocks)
