"""The four shapes of log `reader_speed` measures, each written once by (or byte for byte like)
a real writer and cached on disk; `scale` shrinks them for a quick run.

    python -m benchmarks.log_shapes [FOLDER] [--scale 1] [--shapes tf1,tf2,hist,runs]

- tf1:  10 tags x 100,000 steps of `simple_value` scalars -- `make_big_log` (TensorBoard's
        EventFileWriter, the writer torch's `SummaryWriter.add_scalar` uses, same Event layout),
        with its 2 histogram tags every 100 steps.
- tf2:  10 tags x 100,000 steps of tensor scalars laid out exactly as Keras / TF2 write them:
        Value{tag, tensor{DT_FLOAT, tensor_shape {}, tensor_content <4 bytes>},
        metadata{plugin_data{plugin_name "scalars"}}} (torch's `new_style=True` is NOT that
        layout: it writes `float_val` and no shape).
- hist: 200 histogram tags x 2,000 steps from torch `SummaryWriter.add_histogram(...,
        bins=64)`: 64 buckets, ~25.6 M bucket rows (the shape the issue measured; torch's default
        'tensorflow' bins give ~600 buckets per layer, 3.6 GB, past the reader's 2 GiB limit).
        400,000 calls would take ~45 min, so one step (200 calls) is written by torch and its
        records are re-serialized with each step's step/wall_time (same protobuf layout).
- runs: 1,000 run folders, each one torch `SummaryWriter` file of 5 tags x 1,000 steps (written
        once, copied under distinct folder and file names).

Records written here (not by torch / EventFileWriter) are framed with the C crc32c:
TensorBoard's RecordWriter computes the same bytes with a pure-Python CRC (minutes per GB).
"""
from __future__ import annotations

import argparse
import shutil
import struct
import tempfile
import time
from pathlib import Path

import google_crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

from benchmarks.make_big_log import DEFAULT_DIR, make_big_log

SHAPES = ("tf1", "tf2", "hist", "runs")
KERAS_TAGS = ("epoch_loss", "epoch_accuracy", "epoch_auc", "epoch_precision", "epoch_recall",
              "epoch_learning_rate", "evaluation_loss_vs_iterations",
              "evaluation_accuracy_vs_iterations", "batch_loss", "batch_accuracy")
RUN_TAGS = ("train/loss", "val/loss", "train/acc", "val/acc", "lr")


def size_for(shape: str, scale: float) -> tuple[int, ...]:
    """(steps,) for tf1 and tf2, (tags, steps) for hist, (run folders,) for runs, at this scale.
    Below one step of 200 histograms, hist keeps fewer tags (quick runs stay quick)."""
    if shape == "hist":
        total = 400_000 * scale
        return (200, max(1, round(2_000 * scale))) if total >= 200 else (max(2, round(total)), 1)
    full = {"tf1": 100_000, "tf2": 100_000, "runs": 1_000}[shape]
    return (max(2 if shape == "runs" else 1, round(full * scale)),)


def build(shape: str, folder: Path = DEFAULT_DIR, scale: float = 1.0) -> Path:
    """The path to give a reader for `shape` (a run folder, or a logdir for `runs`)."""
    size = size_for(shape, scale)
    if shape == "tf1":
        return make_big_log(folder, *size)
    name = "hist64" if shape == "hist" else shape  # not diagnose_speed's own hist_* folder
    base = Path(folder) / f"{name}_{'x'.join(map(str, size))}"
    target = base / "logdir" if shape == "runs" else base
    if (base / "COMPLETE").exists():
        return target
    shutil.rmtree(base, ignore_errors=True)
    target.mkdir(parents=True)
    {"tf2": _write_tf2, "hist": _write_hist, "runs": _write_runs}[shape](target, *size)
    (base / "COMPLETE").write_text(f"{shape} {size}\n")
    return target


# ---- framing ---------------------------------------------------------------------------------


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord, the bytes TensorBoard's RecordWriter.write produces for `data`."""
    head = struct.pack("<Q", len(data))
    return (head + struct.pack("<I", _masked(google_crc32c.value(head))) + data
            + struct.pack("<I", _masked(google_crc32c.value(data))))


def records(buf: bytes) -> list[bytes]:
    """The record payloads of an intact event file (for re-serializing; no checks)."""
    out, pos = [], 0
    while pos + 12 <= len(buf):
        length = struct.unpack_from("<Q", buf, pos)[0]
        out.append(buf[pos + 12 : pos + 12 + length])
        pos += 16 + length
    return out


def _file_name(folder: Path, stamp: float, n: int = 0) -> Path:
    return folder / f"events.out.tfevents.{int(stamp):010d}.bench.{n}.0"


def _header(wall: float) -> bytes:
    """The file_version record TF2 starts every event file with."""
    return frame(event_pb2.Event(wall_time=wall, file_version="brain.Event:2").SerializeToString())


# ---- tf2: Keras tensor scalars ---------------------------------------------------------------

_SCALARS_META = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def keras_event(tag: str, value: float, step: int, wall: float) -> bytes:
    """The Event bytes Keras' TensorBoard callback (tf.summary.scalar) writes for one value."""
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                    tensor_content=struct.pack("<f", value))
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=_SCALARS_META)])
    return event_pb2.Event(wall_time=wall, step=step, summary=summary).SerializeToString()


def _write_tf2(run: Path, steps: int) -> None:
    t0 = time.time()
    values = np.random.default_rng(0).random((steps, len(KERAS_TAGS)), dtype=np.float32).tolist()
    with open(_file_name(run, t0), "wb") as f:
        f.write(_header(t0))
        for step, row in enumerate(values):
            wall = t0 + step * 0.01
            f.write(b"".join(frame(keras_event(tag, v, step, wall)) for tag, v in zip(KERAS_TAGS, row)))


# ---- hist: torch add_histogram ---------------------------------------------------------------


def _torch_histograms(tags: int) -> list[bytes]:
    """File header + one step of `tags` histograms, as torch's SummaryWriter writes them."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        writer = SummaryWriter(tmp)
        for i in range(tags):  # a layer's weights, in 64 buckets
            writer.add_histogram(f"weights/layer{i:03d}", torch.randn(1000) * 0.05, 0, bins=64)
        writer.close()
        (path,) = Path(tmp).glob("events.out.tfevents.*")
        return records(path.read_bytes())


def _write_hist(run: Path, tags: int, steps: int) -> None:
    header, *step0 = _torch_histograms(tags)
    events = [event_pb2.Event.FromString(r) for r in step0]
    t0 = events[0].wall_time
    with open(_file_name(run, t0), "wb") as f:
        f.write(frame(header))
        for step in range(steps):
            for e in events:
                e.step, e.wall_time = step, t0 + step * 0.5
            f.write(b"".join(frame(e.SerializeToString()) for e in events))


# ---- runs: 1,000 small torch runs ------------------------------------------------------------


def _write_runs(logdir: Path, runs: int, steps: int = 1_000) -> None:
    from torch.utils.tensorboard import SummaryWriter

    template = logdir.parent / "template"
    writer = SummaryWriter(str(template))
    values = np.random.default_rng(0).random((steps, len(RUN_TAGS))).tolist()
    for step, row in enumerate(values):
        for tag, v in zip(RUN_TAGS, row):
            writer.add_scalar(tag, v, step)
    writer.close()
    (source,) = template.glob("events.out.tfevents.*")
    stamp = time.time()
    for i in range(runs):  # distinct folder and file names, like runs started one after another
        dest = logdir / f"run_{i:04d}"
        dest.mkdir()
        shutil.copyfile(source, _file_name(dest, stamp + i, i))
    shutil.rmtree(template)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    for name in args.shapes.split(","):
        start = time.perf_counter()
        path = build(name, Path(args.folder), args.scale)
        size = sum(f.stat().st_size for f in path.rglob("events.out.tfevents.*"))
        print(f"{name}: {path} {size / 1e6:.1f} MB ({time.perf_counter() - start:.1f} s)")
