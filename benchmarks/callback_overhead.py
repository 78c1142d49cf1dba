"""Cost of `RunDoctorCallback` on step time: each framework's own loop, bare and with the
callback at its default cadence (every=100, hist_every=1000), same model and data.

PyTorch Lightning (`Trainer.fit` with its TensorBoardLogger, `self.log` of the loss) and the
Hugging Face `Trainer` (`report_to=["tensorboard"]`), each at its own default logging cadence.
The timed window is steady state: from optimizer step `--warmup` to the end of one histogram
period (`hist_every` steps: 10 logging steps and 1 histogram step), timed by a callback at the
batch/step boundaries, so trainer set-up and teardown are left out. Bare and instrumented fits
alternate (rotating order) for `--repeats` rounds; the median is reported, so machine noise hits
both alike. On a shared machine the difference of two step times is still noisy (a loaded
2-core box: +-5 %), so the time spent inside the callback's hooks over the same window is
reported too, against the bare step time: the overhead without the noise of a difference (it
leaves out the hooked forward of a logging step and the writer thread: a few ms per 1000 steps).
A third variant adds a no-op callback (the framework's own `Callback` / `TrainerCallback`): what
the framework charges for dispatching its per-step events to one more callback, whatever it
does (the Trainer's CallbackHandler calls every event on every callback, with ten arguments);
that part of the overhead is the framework's, not the doctor's.
Model: our trainer's default digits MLP (2x64 ReLU, batch 64, Adam), 1 torch thread.

    python benchmarks/callback_overhead.py [--repeats 7] [--warmup 50] [--only lightning|huggingface]
"""
from __future__ import annotations

import argparse
import copy
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from trainers.config import TrainConfig  # noqa: E402
from trainers.data import load_data  # noqa: E402
from trainers.models import build_model  # noqa: E402

DEFAULTS = TrainConfig()


HOOKS = ("on_train_start", "on_train_batch_start", "on_before_optimizer_step", "on_train_batch_end",
         "on_train_begin", "on_pre_optimizer_step", "on_optimizer_step")


class Window:
    """Wall and CPU time from the start of step `first` to the end of step `last`, and the
    wall time spent inside the callback's own hooks over those steps."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last
        self.t0 = self.c0 = self.wall = self.cpu = None
        self.inside, self.open = 0.0, False

    def timed(self, callback):
        """`callback` with each of its hooks timed (an instance attribute shadows the method:
        both frameworks look hooks up by name)."""
        for name in HOOKS:
            if hasattr(callback, name):
                setattr(callback, name, self._timer(getattr(callback, name)))
        return callback

    def _timer(self, hook):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return hook(*args, **kwargs)
            finally:
                if self.open:
                    self.inside += time.perf_counter() - t
        return timed

    def begin(self, step: int) -> None:
        if step == self.first:
            self.t0, self.c0, self.open = time.perf_counter(), time.process_time(), True

    def end(self, step: int) -> None:
        if step == self.last:
            self.wall, self.cpu = time.perf_counter() - self.t0, time.process_time() - self.c0
            self.open = False

    def rates(self) -> tuple[float, float, float]:
        """Steps per wall second, per CPU second, and seconds inside the callback per step."""
        n = self.last - self.first + 1
        return n / self.wall, n / self.cpu, self.inside / n


# ---- Lightning --------------------------------------------------------------------------------
def lightning_fit(net: nn.Module, batches, steps: int, window: Window, variant: str, tmp: str):
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
            window.begin(trainer.global_step)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            window.end(trainer.global_step - 1)  # global_step counts the step just taken

    extra = {"bare": [], "noop": [pl.Callback()], "doctor": [window.timed(RunDoctorCallback())]}
    trainer = pl.Trainer(max_steps=steps, logger=TensorBoardLogger(tmp), callbacks=[Timer(), *extra[variant]],
                         enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, num_sanity_val_steps=0)
    trainer.fit(Lit(), DataLoader(batches, batch_size=None))  # the batches as they are, in order


# ---- Hugging Face ---------------------------------------------------------------------------
def huggingface_fit(net: nn.Module, batches, steps: int, window: Window, variant: str, tmp: str):
    from torch.utils.data import Dataset
    from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments

    from trainers.callbacks.huggingface import RunDoctorCallback

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x, labels=None):
            logits = self.net(x)
            return {"loss": F.cross_entropy(logits, labels), "logits": logits}

    class Rows(Dataset):  # the same batches, in order (batch size 64, no shuffling below)
        def __init__(self):
            self.x = torch.cat([x for x, _ in batches])
            self.y = torch.cat([y for _, y in batches])

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return {"x": self.x[i], "labels": self.y[i]}

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            window.begin(state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            window.end(state.global_step - 1)

    args = TrainingArguments(tmp, max_steps=steps, per_device_train_batch_size=DEFAULTS.batch_size,
                             learning_rate=DEFAULTS.lr, report_to=["tensorboard"], save_strategy="no",
                             disable_tqdm=True, use_cpu=True, dataloader_drop_last=True,
                             train_sampling_strategy="sequential")
    extra = {"bare": [], "noop": [TrainerCallback()], "doctor": [window.timed(RunDoctorCallback())]}
    trainer = Trainer(model=Model(), args=args, train_dataset=Rows(), callbacks=[Timer(), *extra[variant]])
    trainer.remove_callback(PrinterCallback)  # no printed log lines (its tqdm is off)
    trainer.train()


FRAMEWORKS = {"lightning": lightning_fit, "huggingface": huggingface_fit}
VARIANTS = {"bare": "bare", "noop": "+ a no-op callback (the framework's dispatch)",
            "doctor": "+ RunDoctorCallback() (defaults)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=50, help="steps before the timed window")
    ap.add_argument("--only", choices=tuple(FRAMEWORKS))
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load_data(DEFAULTS)
    net0 = build_model(DEFAULTS, data.input_shape, data.n_classes)
    first, last = args.warmup, args.warmup + DEFAULTS.hist_every - 1  # steps timed
    steps = last + 1
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, len(data.x_train), (steps, DEFAULTS.batch_size), generator=gen)
    batches = [(data.x_train[i], data.y_train[i]) for i in idx]
    print(f"model: digits MLP {DEFAULTS.depth}x{DEFAULTS.width} {DEFAULTS.activation}, batch "
          f"{DEFAULTS.batch_size}, Adam, 1 torch thread, torch {torch.__version__}, "
          f"{platform.machine()}; timed steps {first}-{last} of {steps}; {args.repeats} interleaved "
          "repeats, median\n")
    print("| framework | variant | steps/s (wall) | ms/step | overhead (wall) | overhead (CPU time) "
          "| inside the callback |")
    print("|---|---|---|---|---|---|---|")
    for name, fit in FRAMEWORKS.items():
        if args.only and name != args.only:
            continue
        rates: dict[str, list[tuple[float, float, float]]] = {v: [] for v in VARIANTS}
        order = list(VARIANTS)
        with tempfile.TemporaryDirectory() as tmp:
            fit(copy.deepcopy(net0), batches, 20, Window(0, 0), "doctor", tmp)  # warm-up: imports, caches
            for r in range(args.repeats):
                for variant in order[r % 3:] + order[:r % 3]:  # each variant first, in turn
                    window = Window(first, last)
                    fit(copy.deepcopy(net0), batches, steps, window, variant, os.path.join(tmp, f"{r}-{variant}"))
                    rates[variant].append(window.rates())
        wall0, cpu0, _ = (statistics.median(v) for v in zip(*rates["bare"]))
        for variant, label in VARIANTS.items():
            wall, cpu, inside = (statistics.median(v) for v in zip(*rates[variant]))
            bare = variant == "bare"
            over = "–" if bare else f"{100 * (wall0 / wall - 1):+.1f} %"
            over_cpu = "–" if bare else f"{100 * (cpu0 / cpu - 1):+.1f} %"
            # the callback's own time per step against the bare step: what noise cannot blur
            own = "–" if variant != "doctor" else f"{1e6 * inside:.0f} µs/step = {100 * inside * wall0:.1f} %"
            print(f"| {name} | {label} | {wall:,.0f} | {1000 / wall:.2f} | {over} | {over_cpu} | {own} |",
                  flush=True)


if __name__ == "__main__":
    main()
