"""Histogram records decoded in bulk (`diagnostics/histograms_decode.py`) give exactly what the
protobuf path (`summaries.Slow`) gives, row for row, in file order, on files from the real
writers -- torch's SummaryWriter and TensorBoard's EventFileWriter -- and on mutated records."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2

from diagnostics import framing, histograms_decode, reader, records
from diagnostics.reader import load
from tests.hostile import event, record
from tests.test_reader_writers import OLD, simple, tensor_histogram, tensor_scalar, write_events


def _decode(data: bytes, fast: bool = True) -> records.FileEvents:
    if fast:
        return records.decode(data, "f")
    real = records.fast_histograms
    records.fast_histograms = lambda arr, starts, lens, cand: real(arr, starts, lens, np.zeros_like(cand))
    try:
        return records.decode(data, "f")  # every histogram through `summaries.Slow`
    finally:
        records.fast_histograms = real


def _same(a: records.FileEvents, b: records.FileEvents) -> None:
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if name == "hist":
            assert x.keys() == y.keys()
            x, y = [x[k] for k in sorted(x)], [y[k] for k in sorted(y)]
        for u, v in zip(*((x, y) if name == "hist" else ([x], [y]))):
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and np.array_equal(u, v, equal_nan=True), name
            elif isinstance(u, float) and math.isnan(u):
                assert math.isnan(v), name
            else:
                assert u == v, name


def _fast_records(data: bytes) -> int:
    """Records the bulk decoder takes (called without the fallback that would hide its errors)."""
    arr = np.frombuffer(data, np.uint8)
    found = [histograms_decode._decode(arr, s, n, n > 0) for s, n in framing.Framer(data, "f").batches()]
    return sum(int(f.mask.sum()) for f in found if f is not None)


def _check(path: Path, fast_at_least: int) -> records.FileEvents:
    data = path.read_bytes()
    fast = _decode(data)
    _same(fast, _decode(data, fast=False))
    assert _fast_records(data) >= fast_at_least
    return fast


def _torch_file(folder: Path, write) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    write(writer)
    writer.close()
    (path,) = folder.glob("events*")
    return path


def test_torch_add_histogram_bins_and_edge_cases_match_the_protobuf_path(tmp_path):
    rng = np.random.default_rng(0)

    def write(w):
        for step, bins in enumerate(["tensorflow", 16, "auto", 1, "fd"]):
            w.add_histogram("grad/normal", rng.normal(size=300), step, bins=bins)
            w.add_histogram("act/relu", np.maximum(rng.normal(size=300), 0), step, bins=bins)  # min 0: left out
        w.add_histogram("equal", np.full(50, 0.25), 0)  # all values the same
        w.add_histogram("equal", np.full(50, 0.25), 1, bins=10)
        w.add_histogram("zeros", np.zeros(20), 0)  # min, max, sum all 0: left out
        w.add_histogram("neg", -np.abs(rng.normal(size=40)), -7)  # a negative step: a 10-byte varint
        w.add_histogram("big", rng.normal(size=40) * 1e30, 2**40, bins=16)  # past the default bins
        w.add_histogram_raw("raw/zero_counts", 0.0, 1.0, 0, 0.0, 0.0, [0.5, 1.0], [0, 0], 3)
        w.add_histogram_raw("raw/one", -1.0, 2.0, 5, 1.0, 3.0, [2.0], [5], 4)
        w.add_histogram_raw("raw/nan", -1.0, 2.0, 5, 1.0, 3.0, [0.0, 1.0, 2.0], [math.nan, 2, 0], 5)
        w.add_scalar("train/loss", 0.5, 0)

    fe = _check(_torch_file(tmp_path / "t", write), fast_at_least=18)  # every one of them
    hist = fe.hist
    tags = [fe.hist_tags[i] for i in hist["id"]]
    assert "raw/zero_counts" in fe.hist_tags and "raw/zero_counts" not in tags  # a tag, no rows
    one = np.flatnonzero(np.array(tags) == "raw/one")
    assert [hist[k][one].tolist() for k in ("left", "right", "count")] == [[-1.0], [2.0], [5.0]]
    assert int(hist["step"][np.array(tags) == "neg"][0]) == -7
    assert fe.first_step == 0 and {"histograms", "scalars"} <= fe.plugins


def _histo(bucket_limit, bucket, **kw) -> summary_pb2.HistogramProto:
    return summary_pb2.HistogramProto(bucket_limit=bucket_limit, bucket=bucket, **kw)


def _value(tag: str, h: summary_pb2.HistogramProto) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, histo=h)


MIXED = [  # (step, values): every kind of record, fast and slow, interleaved
    (0, [_value("a", _histo([0.0, 1.0, 2.0], [1, 2, 3], min=-1.0, max=3.0, num=6))]),
    (0, [simple("train/loss", 1.0)]),
    (1, [tensor_histogram("tf2/h", np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 5.0]]))]),  # slow
    (1, [_value("b", _histo([1.0, 2.0], [0, 4], max=2.0))]),
    (2, [_value("a", _histo([], []))]),  # no buckets at all
    (2, [_value("c", _histo([1.0, 2.0], [3, 0], min=0.5)), _value("a", _histo([1.0], [2]))]),  # two values: slow
    (3, [tensor_scalar("epoch_loss", 2.5)]),
    (3, [_value("bad", _histo([1.0, 2.0, 3.0], [1, 2]))]),  # malformed: counted, skipped
    (4, [_value("b", _histo([1.0, 2.0, 3.0], [0, 7, 0], min=1.0, max=3.0))]),
    (4, [_value("", _histo([1.0], [2]))]),  # no tag: slow
    (5, [_value("a", _histo([-math.inf, 0.0, math.inf], [1, 0, 1], min=-5, max=5))]),
    (0, [_value("b", _histo([2.0], [1.0]))]),  # step 0 (left out), wall time as written
]


def test_a_mixed_file_keeps_file_order_and_counts_malformed_values_as_before(tmp_path):
    path = write_events(tmp_path, MIXED)
    fe = _check(path, fast_at_least=6)
    assert fe.hist_tags == ("a", "tf2/h", "b", "c", "")
    steps = fe.hist["step"].tolist()
    assert steps == sorted(steps[:-1]) + [0]  # file order, not step order
    assert any("1 malformed summary value(s) skipped (first: 'bad': histogram has 2 buckets but 3 bucket "
               "limits)" in p for p in fe.problems)
    (run,) = load(tmp_path).runs
    a = run.histograms[run.histograms["tag"] == "a"]
    assert a[["left", "right", "count"]].to_numpy().tolist()[:3] == [[-1.0, 0.0, 1.0], [0.0, 1.0, 2.0],
                                                                     [1.0, 3.0, 3.0]]


def _records(n: int, rng: np.random.Generator) -> list[bytes]:
    out = []
    for i in range(n):
        k = int(rng.integers(0, 6))
        counts = rng.integers(0, 3, k).astype(float)
        limits = np.sort(rng.normal(size=k)).tolist()
        value = _value(f"h{i % 7}", _histo(limits, counts.tolist(), min=float(rng.normal()), max=2.0))
        wall = -float(i % 50) if i % 13 == 0 else 1_700_000_000.0  # wall_time 0: left out
        out.append(event(i % 50, [value] if i % 11 else [simple("loss", 0.1)], wall=wall))
    return out


def test_many_batches_and_chunks_give_the_same_rows(monkeypatch):
    rng = np.random.default_rng(1)
    data = b"".join(record(e) for e in _records(3000, rng))  # > 2,048: tags interned in bulk
    _same(_decode(data), _decode(data, fast=False))
    monkeypatch.setattr(framing, "BATCH", 64)  # many batches, buckets gathered a few at a time
    monkeypatch.setattr(histograms_decode, "CHUNK", 5)
    _same(_decode(data), _decode(data, fast=False))
    assert _fast_records(data) > 2500


def test_mutated_histogram_records_decode_as_the_protobuf_path_does():
    """Bytes changed inside intact records (CRCs made to match): whatever the bulk decoder
    takes, it must read as protobuf does; the rest falls to protobuf."""
    rng = np.random.default_rng(2)
    events = _records(40, rng) + [event(3, [v]) for _, vs in MIXED for v in vs]
    mutated = []
    for _ in range(1500):
        buf = bytearray(events[int(rng.integers(len(events)))])
        for _ in range(int(rng.integers(1, 3))):
            at = int(rng.integers(len(buf)))
            if rng.random() < 0.7:
                buf[at] = int(rng.integers(256)) if rng.random() < 0.5 else buf[at] ^ (1 << int(rng.integers(8)))
            else:
                del buf[at : at + int(rng.integers(1, 4))]
        mutated.append(record(bytes(buf)))
    data = b"".join(mutated)
    _same(_decode(data), _decode(data, fast=False))
    assert _fast_records(data) > 100


def test_load_gives_the_same_frame_either_way(tmp_path, monkeypatch):
    path = write_events(tmp_path, MIXED)
    os.utime(path, (OLD, OLD))
    fast = load(tmp_path).runs[0].histograms
    real = records.fast_histograms
    monkeypatch.setattr(records, "fast_histograms",
                        lambda arr, starts, lens, cand: real(arr, starts, lens, np.zeros_like(cand)))
    reader.clear_cache()
    slow = load(tmp_path).runs[0].histograms
    assert fast.dtypes.to_dict() == slow.dtypes.to_dict()
    assert fast.equals(slow)


@pytest.mark.parametrize("cut", [1, 9, 20])
def test_records_cut_short_in_a_histogram_are_not_read_past(cut):
    payload = event(5, [_value("a", _histo([0.0, 1.0], [1, 2], min=-1.0, max=2.0))])
    data = record(payload[:-cut]) + record(payload)
    _same(_decode(data), _decode(data, fast=False))
