"""Training instruments for ANY `nn.Module`: they write the canonical tags the rules read.

    inst = instrument(model, writer, every=100, hist_every=1000)
    for step, (x, y) in enumerate(batches):
        loss = loss_fn(model(x), y)
        opt.zero_grad(); loss.backward()
        inst.after_backward(step)   # grad norms, dead units (+ grad/act histograms)
        opt.step()
        logged = {"train/loss": loss.item()} if inst.due(step) else None
        inst.after_step(step, logged)  # weight norms, update ratios (+ your scalars, one event)
    inst.close()                    # removes the hooks

Tags (<layer> is the module's qualified name with dots kept, e.g. `fc1`, `features.0`):
- `grad_norm/total` (L2 over all parameter grads), `grad_norm/<layer>`, `weight_norm/<layer>`,
  `update_ratio/<layer>` and histogram `grad/<layer>`, for every module that owns a weight
  of 2+ dimensions (Linear, Conv, ...), measured on that weight;
- `dead_frac/<act>` and histogram `act/<act>`, for every activation module, named after the
  activation module itself (`act1`, `relu`). A unit (a feature, or a channel of a conv map)
  is dead when it outputs exactly 0 for every sample of the training batch; only ReLU-like
  activations can really die. A module called again within one forward (a shared
  `self.relu`) gets `<act>#1`, `<act>#2`... tags for its later calls.

Cheap by design: forward hooks are registered only for the forward of a step that will be
logged (other steps pay nothing, not even the hooked-module slow path); each call costs one
host sync; all scalars of a logging step go out as ONE event (written by `after_step`);
weights are copied only on logging steps (between `after_backward` and `after_step`).
"""
from __future__ import annotations

from collections import defaultdict
from itertools import islice

import numpy as np
import torch
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
from torch import nn

# How to attach the instruments to a user's own loop: shown verbatim by the README and the
# app's Guide page, and run by the tests (model, loader, loss_fn and opt are the user's).
OWN_LOOP_EXAMPLE = """\
from torch.utils.tensorboard import SummaryWriter
from trainers.hooks import instrument

writer = SummaryWriter("runs/mine")
inst = instrument(model, writer, every=100, hist_every=1000)   # one call attaches everything
for step, (x, y) in enumerate(loader):
    loss = loss_fn(model(x), y)
    opt.zero_grad(); loss.backward()
    inst.after_backward(step)            # gradient norms, dead units, histograms
    opt.step()
    inst.after_step(step, {"train/loss": loss.item()} if inst.due(step) else None)
inst.close()
"""

ACTIVATION_TYPES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
    nn.Mish, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Hardtanh,
)
HIST_BINS = 64  # torch's default binning is ~8x slower and ~9x bigger


class Instruments:
    def __init__(self, model: nn.Module, writer=None, *, every: int = 100, hist_every: int = 1000,
                 grad_total: bool = True):
        if every < 1 or hist_every < 0:
            raise ValueError("every must be >= 1 and hist_every >= 0")
        self.model, self.writer, self.every, self.hist_every = model, writer, every, hist_every
        # False where the gradients are measured after clipping and the framework logs the
        # pre-clip total itself (Hugging Face's train/grad_norm): a clipped total would hide it
        self.grad_total = grad_total
        self.weights = {
            name or type(model).__name__.lower(): m.weight
            for name, m in model.named_modules()
            if isinstance(getattr(m, "weight", None), nn.Parameter) and m.weight.dim() >= 2
        }
        self.activations = {n: m for n, m in model.named_modules() if isinstance(m, ACTIVATION_TYPES)}
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.records: dict[str, list[tuple[int, float]]] = defaultdict(list)  # tag -> (step, value)
        self._outputs: dict[str, list[torch.Tensor]] = defaultdict(list)
        self._handles: list = []
        self._prev: tuple[int, list[torch.Tensor]] | None = None
        self._pending: tuple[int, dict[str, float]] | None = None  # written with after_step's
        self._arm(True)  # the first forward may belong to a logging step

    # ---- the two calls in the user's loop ----------------------------------------------
    def due(self, step: int) -> bool:
        return step % self.every == 0

    def after_backward(self, step: int) -> None:
        """Gradient norms and dead-unit fractions on logging steps; histograms on theirs."""
        if self._idle(step):
            return
        self._flush()  # a previous step's values whose after_step never came
        if self.due(step):
            with_grad = [p for p in self.params if p.grad is not None]
            grad_norms = torch._foreach_norm([p.grad for p in with_grad]) if with_grad else []
            norms = dict(zip(map(id, with_grad), grad_norms))  # one fused kernel for all
            layers = [n for n, w in self.weights.items() if id(w) in norms]
            acts = list(self._activation_outputs())
            # per-unit counts of nonzero outputs over the batch: a unit is dead when it is 0
            counts = [o.count_nonzero(dim=[d for d in range(o.dim()) if d != 1]) for _, o in acts]
            total = [torch.linalg.vector_norm(torch.stack(list(norms.values())))] if norms else []
            values = iter(_host([*total, *(norms[id(self.weights[n])] for n in layers)], counts))
            found = {"grad_norm/total": next(values)} if norms else {}
            if not self.grad_total:
                del found["grad_norm/total"]  # read in the same sync as the rest; not written
            found.update({f"grad_norm/{n}": next(values) for n in layers})
            for (name, _), count in zip(acts, counts):
                units = list(islice(values, count.numel()))
                if units:
                    found[f"dead_frac/{name}"] = units.count(0.0) / len(units)
            self._pending = (step, found)
            self._prev = (step, [w.detach().clone() for w in self.weights.values()])
        if self._hist_due(step):
            tensors = {f"grad/{n}": w.grad for n, w in self.weights.items() if w.grad is not None}
            tensors.update({f"act/{n}": out for n, out in self._activation_outputs()})
            histograms = {tag: h for tag, t in tensors.items() if (h := _histogram(t)) is not None}
            write_histograms(self.writer, step, histograms)
        self._outputs.clear()
        self._arm(self.due(step + 1) or self._hist_due(step + 1))

    def after_step(self, step: int, scalars: dict[str, float] | None = None) -> None:
        """Weight norms and update ratios |w_new - w_old| / |w_old| on logging steps.
        `scalars`: the loop's own values for this step (e.g. train/loss), written in the
        same event as the instruments' (one event per logging step instead of two)."""
        if not scalars and step % self.every:  # most steps: nothing measured, nothing to write
            return
        found = dict(scalars or {})
        if not self.due(step):
            self._emit(step, found)
            return
        if self._pending is not None and self._pending[0] == step:
            found.update(self._pending[1])
        self._pending = None
        names = list(self.weights)
        now = [w.detach() for w in self.weights.values()]
        snapshot = self._prev[1] if self._prev is not None and self._prev[0] == step else None
        parts = [torch._foreach_norm(now)] if now else []
        if snapshot is not None:  # taken by after_backward of this step
            parts += [torch._foreach_norm(torch._foreach_sub(now, snapshot)), torch._foreach_norm(snapshot)]
        flat = _host([t for part in parts for t in part]) if names else []
        k = len(names)
        found.update({f"weight_norm/{n}": v for n, v in zip(names, flat[:k])})
        if snapshot is not None:
            found.update({f"update_ratio/{n}": d / max(o, 1e-12)
                          for n, d, o in zip(names, flat[k:2 * k], flat[2 * k:])})
        self._emit(step, found)
        self._prev = None

    def forget_activations(self) -> None:
        """A training batch starts: drop activations kept from an earlier one (for frameworks
        whose training step may not call `model`'s own forward, e.g. Lightning's)."""
        self._outputs.clear()

    def close(self) -> None:
        self._flush()
        self._arm(False)
        self._outputs.clear()
        self._prev = None

    # ---- in-memory view (tests, TrainResult) --------------------------------------------
    def last(self, family: str) -> dict[str, float]:
        """Latest value per layer of a family, e.g. last("dead_frac") -> {"act1": 0.0}."""
        prefix = family + "/"
        return {t[len(prefix):]: v[-1][1] for t, v in self.records.items() if t.startswith(prefix)}

    # ---- forward hooks: registered only around a logging step's forward -----------------
    def _arm(self, on: bool) -> None:
        if on and not self._handles:
            self._handles.append(self.model.register_forward_pre_hook(self._new_forward))
            for name, m in self.activations.items():
                self._handles.append(m.register_forward_hook(self._keeper(name)))
        elif not on:
            for handle in self._handles:
                handle.remove()
            self._handles.clear()

    def _new_forward(self, module, args) -> None:
        if torch.is_grad_enabled():  # a training forward starts: forget the previous one
            self._outputs.clear()

    def _keeper(self, name: str):
        def hook(module, args, output) -> None:
            if torch.is_grad_enabled() and isinstance(output, torch.Tensor):
                self._outputs[name].append(output.detach())  # a reference, no copy
        return hook

    # ---- internals ----------------------------------------------------------------------
    def _idle(self, step: int) -> bool:
        """Most steps: nothing to measure at `step` or arm for the next one, and nothing kept
        (no forward hooks, no pending values). One test, in place of the half-dozen calls of
        the full path: a few µs less on every step."""
        if self._handles or self._pending is not None or not (step % self.every and (step + 1) % self.every):
            return False
        hist = self.hist_every if self.writer is not None else 0
        return not hist or bool(step % hist and (step + 1) % hist)

    def _hist_due(self, step: int) -> bool:  # histograms only go to a writer
        return self.writer is not None and self.hist_every > 0 and step % self.hist_every == 0

    def _activation_outputs(self):
        for name, outs in self._outputs.items():
            for k, out in enumerate(outs):
                if out.dim() >= 2:
                    yield (name if k == 0 else f"{name}#{k}"), out

    def _flush(self) -> None:
        if self._pending is not None:
            self._emit(*self._pending)
            self._pending = None

    def _emit(self, step: int, values: dict[str, float]) -> None:
        for tag, value in values.items():  # `records` keeps the caller's scalars too
            self.records[tag].append((step, value))
        if self.writer is not None and values:
            write_scalars(self.writer, step, values)


def _histogram(values: torch.Tensor) -> HistogramProto | None:
    """64 equal-width bins counted with numpy's bincount (~5x faster than np.histogram or
    torch's add_histogram at this size); None when there is no finite value."""
    x = values.detach().float().flatten().cpu().numpy()
    if not x.size:
        return None
    lo, hi = x.min(), x.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):  # NaN/inf cannot be binned; the norms show them
        x = x[np.isfinite(x)]
        if not x.size:
            return None
        lo, hi = x.min(), x.max()
    top = hi if hi > lo else lo + max(1e-6, abs(lo) * 1e-5)  # constant: still one bin
    index = ((x - lo) * (HIST_BINS / (top - lo))).astype(np.int64)
    counts = np.bincount(np.minimum(index, HIST_BINS - 1), minlength=HIST_BINS)
    # Sums in float64 by torch's own kernels: numpy's `x @ x` is a BLAS dot, whose threads
    # (OpenBLAS: every core) ignore torch.set_num_threads and doubled a CNN's CPU time.
    x64 = torch.from_numpy(x).double()
    return HistogramProto(  # the leading empty bucket carries the left edge, as torch's does
        min=float(lo), max=float(hi), num=x.size, sum=float(x64.sum()),
        sum_squares=float(x64.square().sum()),
        bucket_limit=np.linspace(lo, top, HIST_BINS + 1).tolist(), bucket=[0, *counts.tolist()],
    )


def _host(scalars: list[torch.Tensor], vectors: list[torch.Tensor] = ()) -> list[float]:
    """The values of 0-d and 1-d tensors as one flat list, in ONE device-to-host sync."""
    parts = ([torch.stack(scalars).float()] if scalars else []) + [v.float().flatten() for v in vectors]
    return torch.cat(parts).tolist() if parts else []


def write_scalars(writer, step: int, values: dict[str, float]) -> None:
    """Several scalars of one step as ONE event: each event costs a hand-off to the writer's
    thread (~0.1-0.2 ms of a 2-core CPU), far more than the values themselves."""
    file_writer = getattr(writer, "file_writer", None)  # torch's SummaryWriter
    if file_writer is None:  # any other writer: one add_scalar per tag
        for tag, value in values.items():
            writer.add_scalar(tag, value, step)
        return
    summary = Summary(value=[Summary.Value(tag=t, simple_value=v) for t, v in values.items()])
    file_writer.add_summary(summary, step)


def write_histograms(writer, step: int, histograms: dict[str, HistogramProto]) -> None:
    """Histograms of one step as ONE event (see `write_scalars`)."""
    if not histograms:
        return
    file_writer = getattr(writer, "file_writer", None)
    if file_writer is None:
        for tag, h in histograms.items():
            writer.add_histogram_raw(tag, min=h.min, max=h.max, num=h.num, sum=h.sum,
                                     sum_squares=h.sum_squares, bucket_limits=list(h.bucket_limit),
                                     bucket_counts=list(h.bucket), global_step=step)
        return
    summary = Summary(value=[Summary.Value(tag=t, histo=h) for t, h in histograms.items()])
    file_writer.add_summary(summary, step)


def speed_up_event_writing() -> bool:
    """Compute event-file checksums in C (google-crc32c) instead of tensorboard's pure-Python
    loop. Without TensorFlow, tensorboard checksums every record byte by byte while holding
    the GIL (~0.5 ms per 64-bin histogram); the bytes written stay identical. Patches
    tensorboard for the whole process; returns False (and changes nothing) when
    google-crc32c is not installed."""
    try:
        from diagnostics.crc import masked_crc  # the reader's own masking; needs google_crc32c
    except ImportError:
        return False
    from tensorboard.summary.writer import record_writer

    def masked_crc32c(data: bytes) -> int:  # TFRecord's masked CRC-32C, as the reader checks it
        return masked_crc(bytes(data))

    record_writer.masked_crc32c = masked_crc32c
    return True


def instrument(model: nn.Module, writer=None, *, every: int = 100,
               hist_every: int = 1000, grad_total: bool = True) -> Instruments:
    """Attach the instruments to `model` in one call. `writer` is a SummaryWriter (or any
    object with `add_scalar` and `add_histogram_raw`), or None to record in memory only
    (`Instruments.records`)."""
    return Instruments(model, writer, every=every, hist_every=hist_every, grad_total=grad_total)
