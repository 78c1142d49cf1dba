"""Generators of hostile event-file bytes, shared by tests/test_hostile_inputs.py and
benchmarks/hostile_reader.py. Every generator is deterministic in its `rng` and `size`."""
from __future__ import annotations

import struct

import google_crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

MASK_DELTA = 0xA282EAD8


def masked(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def record(data: bytes, *, bad_length_crc: bool = False, bad_data_crc: bool = False,
           length: int | None = None) -> bytes:
    """One TFRecord: `length` overrides the length field (its CRC still made to match, unless
    `bad_length_crc`)."""
    head = struct.pack("<Q", len(data) if length is None else length)
    head_crc = masked(head) ^ (1 if bad_length_crc else 0)
    return head + struct.pack("<I", head_crc) + data + struct.pack("<I", masked(data) ^ (1 if bad_data_crc else 0))


def event(step: int, values: list[summary_pb2.Summary.Value], wall: float = 1_700_000_000.0) -> bytes:
    summary = summary_pb2.Summary(value=values)
    return event_pb2.Event(wall_time=wall + step, step=step, summary=summary).SerializeToString()


def scalar(tag: str, value: float) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, simple_value=value)


def header() -> bytes:
    return record(event_pb2.Event(wall_time=1_700_000_000.0, file_version="brain.Event:2").SerializeToString())


def good_records(n: int, tag: str = "loss") -> list[bytes]:
    return [record(event(s, [scalar(tag, 1.0 / (s + 1))])) for s in range(n)]


# ---- summaries that claim what they do not hold ------------------------------------------------


def _meta(plugin: str) -> summary_pb2.SummaryMetadata:
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


def shape_claim(rng: np.random.Generator) -> summary_pb2.Summary.Value:
    """A TF2 scalar or histogram tensor whose shape is no shape, or claims more than it holds."""
    kind = int(rng.integers(6))
    if kind == 0:  # two (or more) unknown dimensions
        dims = [-1] * int(rng.integers(2, 4))
    elif kind == 1:  # a huge claim, one value: the proto fill rule taken at its word
        dims = [int(rng.integers(10**6, 10**12)), 3]
    elif kind == 2:  # a product past int64
        dims = [int(rng.integers(2**32, 2**40))] * int(rng.integers(2, 4))
    elif kind == 3:  # rank past any sense
        dims = [1] * int(rng.integers(9, 40))
    elif kind == 4:  # negative
        dims = [int(rng.integers(-10**9, 0)), 3]
    else:  # a modest claim just past the fill limit
        dims = [int(rng.integers(1025, 5000)), 3]
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])
    if rng.random() < 0.3:  # content that is not whole values
        tensor = tensor_pb2.TensorProto(dtype=2, tensor_shape=shape, tensor_content=rng.bytes(int(rng.integers(1, 8))))
    else:
        tensor = tensor_pb2.TensorProto(dtype=int(rng.choice([1, 2, 3, 9])), tensor_shape=shape,
                                        **({"double_val": [0.5]} if rng.random() < 0.5 else {"int_val": [7]}))
    plugin = "histograms" if rng.random() < 0.6 else "scalars"
    return summary_pb2.Summary.Value(tag=f"claim/{kind}", tensor=tensor, metadata=_meta(plugin))


def bucket_mismatch(rng: np.random.Generator) -> summary_pb2.Summary.Value:
    """A TF1 histogram with more (or fewer) buckets than bucket limits."""
    buckets = int(rng.integers(1, 200))
    limits = int(rng.integers(0, 200))
    if limits == buckets:
        limits += 1
    histo = summary_pb2.HistogramProto(min=-1.0, max=1.0, num=float(buckets),
                                       bucket=rng.integers(1, 9, buckets).tolist(),
                                       bucket_limit=np.sort(rng.normal(size=limits)).tolist())
    return summary_pb2.Summary.Value(tag="hist/mismatch", histo=histo)


def hostile_summaries(rng: np.random.Generator, events: int = 6) -> bytes:
    """A file of good scalars plus events that each carry a few hostile summary values."""
    out = [header()]
    for step in range(events):
        bad = [shape_claim(rng) if rng.random() < 0.5 else bucket_mismatch(rng) for _ in range(int(rng.integers(1, 4)))]
        out.append(record(event(step, [scalar("ok", float(step)), *bad])))
    return b"".join(out)


# ---- framing ------------------------------------------------------------------------------------


def random_framing(rng: np.random.Generator, records: int = 40) -> bytes:
    """Good records among records whose length fields lie (with or without a matching CRC),
    zero-length records, junk, and a tail cut short."""
    out = [header()]
    for rec in good_records(records):
        kind = rng.integers(8)
        if kind == 0:  # a length that lies, its CRC made to match
            data = rng.bytes(int(rng.integers(0, 40)))
            out.append(record(data, length=int(rng.choice([0, 1, 2**31, 2**40, len(data) + int(rng.integers(1, 99))]))))
        elif kind == 1:  # both CRCs bad, the length right
            out.append(record(rng.bytes(int(rng.integers(1, 60))), bad_length_crc=True, bad_data_crc=True))
        elif kind == 2:
            out.append(record(b""))
        elif kind == 3:
            out.append(rng.bytes(int(rng.integers(1, 30))))
        elif kind == 4:
            out.append(bytes(int(rng.integers(1, 300))))  # zeros: every offset a candidate
        out.append(rec)
    body = b"".join(out)
    return body[: len(body) - int(rng.integers(0, 20))]


def crafted_framing(kind: str, size: int) -> bytes:
    """~`size` bytes of framing built to be expensive (each cost super-linear before the fix).

    alternating: good records between records whose CRCs both fail though their lengths are
                 right (each one made the reader re-walk the rest of the file);
    long_claims: a damaged region of headers whose CRCs hold, each claiming a record that runs
                 to the end of the file (each one checksummed to the end);
    zero_gaps:   good records separated by zeros, every zero offset a candidate when searching;
    empty:       zero-length records (16 bytes of framing each, nothing in them)."""
    good = good_records(1)[0]
    if kind == "alternating":
        bad = record(bytes(len(good) - 16), bad_length_crc=True, bad_data_crc=True)
        return header() + (good + bad) * max(1, size // (2 * len(good)))
    if kind == "long_claims":
        n = max(1, size // 16)
        total = len(header()) + 1 + 16 * n
        parts = [header(), b"\xff"]
        for i in range(n):
            pos = len(header()) + 1 + 16 * i
            length = total - pos - 16
            head = struct.pack("<Q", length)
            parts.append(head + struct.pack("<I", masked(head)) + b"\0\0\0\0")
        return b"".join(parts)
    if kind == "zero_gaps":
        return header() + (good + bytes(200)) * max(1, size // (len(good) + 200))
    if kind == "empty":
        return header() + record(b"") * max(1, size // 16)
    raise ValueError(kind)


CRAFTED = ("alternating", "long_claims", "zero_gaps", "empty")
