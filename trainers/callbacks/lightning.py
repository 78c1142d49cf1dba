"""`RunDoctorCallback` for PyTorch Lightning 2.x: `Trainer(callbacks=[RunDoctorCallback()])`.

Built on `trainers.hooks.instrument` (the same instruments as our trainer). Where it measures:
- gradient norms and dead units in `on_before_optimizer_step`: after backward (and after the
  AMP scaler's `unscale_`, so the norms are true ones), before gradient clipping;
- weight norms and update ratios in `on_train_batch_end`, after the optimizer step.
Where it writes: into the run's `TensorBoardLogger` (the same event file as `self.log`, under
`lightning_logs/version_N/`); without one, an event file of its own in the first logger's folder
(`trainer.log_dir`), or in `lightning_logs/run_doctor` under the root folder with no logger.
Only global rank 0 measures and writes (the gradients it sees are already all-reduced).
The step is `trainer.global_step` before the optimizer step. Works with `lightning.pytorch`
and with `pytorch_lightning` (hooks are called by name; the base class is whichever is
installed, `lightning` first).
"""
from __future__ import annotations

import os

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the standalone `pytorch_lightning` package
    from pytorch_lightning.callbacks import Callback

from trainers.hooks import Instruments, instrument, speed_up_event_writing


class RunDoctorCallback(Callback):
    """Per-layer gradient norms, update ratios, weight norms, dead-unit fractions and
    activation/gradient histograms every `every` optimizer steps (histograms every
    `hist_every`; 0 turns them off)."""

    def __init__(self, every: int = 100, hist_every: int = 1000):
        super().__init__()
        if every < 1 or hist_every < 0:
            raise ValueError("every must be >= 1 and hist_every >= 0")
        self.every, self.hist_every = every, hist_every
        self.instruments: Instruments | None = None
        self._own_writer = None
        self._step: int | None = None  # the optimizer step measured, until its batch ends

    def on_train_start(self, trainer, pl_module) -> None:
        # every rank asks for the folder: `trainer.log_dir` is a broadcast from rank 0 under DDP
        # (asked by rank 0 alone, it waits forever); with a TensorBoardLogger it is not needed
        loggers = tensorboard_loggers(trainer)
        own = None if loggers else own_log_dir(trainer)
        if not trainer.is_global_zero:
            return
        speed_up_event_writing()  # event checksums in C (the logger's writer too): less GIL held
        if loggers:  # its `experiment`; other loggers' are not touched (some start a service)
            writer = loggers[0].experiment
        else:
            from torch.utils.tensorboard import SummaryWriter
            writer = self._own_writer = SummaryWriter(own)
        self.instruments = instrument(pl_module, writer, every=self.every, hist_every=self.hist_every)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.instruments is not None:
            self.instruments.forget_activations()

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self.instruments is not None:
            self._step = trainer.global_step
            self.instruments.after_backward(self._step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.instruments is not None and self._step is not None:  # not mid-accumulation
            self.instruments.after_step(self._step)
            self._step = None

    def on_train_end(self, trainer, pl_module) -> None:
        self._close()

    def teardown(self, trainer, pl_module, stage: str) -> None:
        self._close()  # also after an exception (on_train_end is not called then)

    def _close(self) -> None:
        if self.instruments is not None:
            self.instruments.close()
            self.instruments = None
        if self._own_writer is not None:
            self._own_writer.close()
            self._own_writer = None


def tensorboard_loggers(trainer) -> list:
    """The trainer's TensorBoardLoggers (lightning's or pytorch_lightning's)."""
    return [lg for lg in getattr(trainer, "loggers", None) or [] if type(lg).__name__ == "TensorBoardLogger"]


def own_log_dir(trainer) -> str:
    """Where to write without a TensorBoardLogger: the first logger's folder (a CSVLogger's
    `lightning_logs/version_N`); with no logger at all, `lightning_logs/run_doctor` under the
    trainer's root folder (never the root itself, which defaults to the working folder).
    Under DDP every rank must call it (`trainer.log_dir` is a collective)."""
    if getattr(trainer, "loggers", None):
        return trainer.log_dir
    return os.path.join(trainer.default_root_dir, "lightning_logs", "run_doctor")
