"""`RunDoctorCallback` for the Hugging Face `transformers.Trainer`:
`Trainer(..., callbacks=[RunDoctorCallback()])`.

Built on `trainers.hooks.instrument` (the same instruments as our trainer). Where it measures:
- gradient norms and dead units in `on_pre_optimizer_step`: the gradients are accumulated,
  all-reduced and unscaled there (mixed precision: the Trainer unscales them to clip or to
  measure its own `grad_norm`), and clipped when `max_grad_norm > 0` (the default, 1.0). The
  per-layer norms are then the clipped ones (their ratios, which the vanishing-gradient rule
  reads, are unchanged by clipping), and the total is left to the Trainer's own pre-clip
  `train/grad_norm`, which the doctor reads as `grad_norm/total`;
- weight norms and update ratios in `on_optimizer_step`, right after the optimizer step.
Where it writes: the TensorBoard folder of the Trainer's own `TensorBoardCallback`
(`report_to=["tensorboard"]`): `args.logging_dir` (transformers 4.x), else
`$TENSORBOARD_LOGGING_DIR`, else the `output_dir/runs/<time>_<host>` folder it has just made
(transformers 5.x), in an event file beside the Trainer's. Only the world process zero
measures and writes. The step is `state.global_step` before the optimizer step.
Event records are checksummed in C when google-crc32c is installed (`speed_up_event_writing`:
the same bytes, for every tensorboard writer of the process).
Needs transformers >= 4.45 (`on_pre_optimizer_step`).
"""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from pathlib import Path

from transformers import TrainerCallback

from trainers.hooks import Instruments, instrument, speed_up_event_writing


class RunDoctorCallback(TrainerCallback):
    """Per-layer gradient norms, update ratios, weight norms, dead-unit fractions and
    activation/gradient histograms every `every` optimizer steps (histograms every
    `hist_every`; 0 turns them off)."""

    def __init__(self, every: int = 100, hist_every: int = 1000):
        if every < 1 or hist_every < 0:
            raise ValueError("every must be >= 1 and hist_every >= 0")
        self.every, self.hist_every = every, hist_every
        self.instruments: Instruments | None = None
        self.log_dir: str | None = None
        self._writer = None

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if not state.is_world_process_zero or model is None:
            return
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = logging_dir(args)
        speed_up_event_writing()  # C checksums: the writer thread's pure-Python CRC holds the GIL
        self._writer = SummaryWriter(self.log_dir)
        clipped = (getattr(args, "max_grad_norm", 0) or 0) > 0
        self.instruments = instrument(model, self._writer, every=self.every,
                                      hist_every=self.hist_every, grad_total=not clipped)

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.instruments is not None:
            self.instruments.after_backward(state.global_step)

    def on_optimizer_step(self, args, state, control, **kwargs):
        if self.instruments is not None:
            self.instruments.after_step(state.global_step)

    def on_train_end(self, args, state, control, **kwargs):
        if self.instruments is not None:
            self.instruments.close()
            self.instruments = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


RECENT_S = 120.0  # a TensorBoard folder made this recently is the Trainer's of this run


def logging_dir(args) -> str:
    """The folder the Trainer's TensorBoardCallback writes to (see the module docstring)."""
    explicit = getattr(args, "logging_dir", None) or os.environ.get("TENSORBOARD_LOGGING_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    runs = Path(args.output_dir) / "runs"
    now = time.time()
    made = [(f.stat().st_mtime, f.parent) for f in runs.glob("*/events.out.tfevents.*")
            if now - f.stat().st_mtime < RECENT_S] if runs.is_dir() else []
    if made:
        return str(max(made)[1])
    # no TensorBoardCallback (report_to without "tensorboard"): the folder it would have made
    return str(runs / f"{datetime.now():%b%d_%H-%M-%S}_{socket.gethostname()}")
