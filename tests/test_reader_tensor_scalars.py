"""TF2 tensor scalars decoded in bulk (`tensor_scalars.py`) give exactly what the protobuf path
gives: on files from the real writers (torch `new_style=True`, TensorBoard's own writers), on the
byte layouts Keras and TF2 write, on a file mixing them with tags whose plugin was named in an
earlier batch or an earlier read, and on mutated records (which the bulk path must leave alone)."""
from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2

from diagnostics import framing, records, summaries, tensor_scalars
from diagnostics.errors import ReaderError
from tests.hostile import header, record
from tests.test_reader_writers import simple, tensor_histogram, tensor_scalar, write_events

WALL = 1_700_000_000.0


# ---- the reference: the same bytes through the protobuf path only -----------------------------


def _no_tensors(arr, o, lens):
    none = np.zeros(0, np.int64)
    return np.zeros(o.size, bool), none, none, none, none.astype(float), none.astype(float), none.astype(bool)


def _decode(buf: bytes, monkeypatch, *, bulk: bool, tag_plugins=None) -> records.FileEvents:
    with monkeypatch.context() as m:
        if not bulk:
            m.setattr(tensor_scalars, "parse", _no_tensors)
        return records.decode(buf, "f", tag_plugins)


def _slow_records(buf: bytes, monkeypatch) -> int:
    """Records the bulk decode hands to the protobuf path."""
    seen = []
    real = summaries.Slow.add
    with monkeypatch.context() as m:
        m.setattr(summaries.Slow, "add", lambda self, rec, data: (seen.append(rec), real(self, rec, data)))
        records.decode(buf, "f")
    return len(seen)


def assert_same(a: records.FileEvents, b: records.FileEvents) -> None:
    """Equal in every field; tags compared row by row by name (their numbering may differ)."""
    assert [a.scalar_tags[i] for i in a.scalar_ids] == [b.scalar_tags[i] for i in b.scalar_ids]
    assert set(a.scalar_tags) == set(b.scalar_tags)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name in ("scalar_tags", "scalar_ids"):
            continue
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), f.name
        elif f.name == "hist":
            assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k], equal_nan=True) for k in x)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), f.name
        else:
            assert x == y, f.name


def _both(buf: bytes, monkeypatch) -> records.FileEvents:
    fast = _decode(buf, monkeypatch, bulk=True)
    assert_same(fast, _decode(buf, monkeypatch, bulk=False))
    return fast


# ---- events byte by byte, as the writers lay them out ------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(key: int, body: bytes) -> bytes:
    return bytes([key]) + _varint(len(body)) + body


SCALARS_META = _field(0x4A, _field(0x0A, _field(0x0A, b"scalars")))  # metadata{plugin_data{"scalars"}}


def tensor(value: float, how: str = "content") -> bytes:
    """A rank-0 TensorProto's bytes: float in tensor_content (Keras), packed float_val (TB's
    Writer), unpacked float_val, packed double_val (torch double_precision), double content."""
    f4, f8 = struct.pack("<f", value), struct.pack("<d", value)
    shape = b"\x12\x00"
    return {"content": b"\x08\x01" + shape + _field(0x22, f4),
            "packed": b"\x08\x01" + shape + _field(0x2A, f4),
            "unpacked": b"\x08\x01" + shape + b"\x2d" + f4,
            "no_shape": b"\x08\x01" + _field(0x2A, f4),
            "double": b"\x08\x02" + _field(0x32, f8),
            "double_content": b"\x08\x02" + shape + _field(0x22, f8),
            "double_unpacked": b"\x08\x02" + shape + b"\x31" + f8}[how]


def event(step: int, tag: str, tensor_bytes: bytes, meta: bytes = SCALARS_META, wall: float | None = None) -> bytes:
    """Event{wall_time, step (absent when 0), summary{value{tag, tensor, metadata}}}."""
    value = _field(0x0A, tag.encode()) + _field(0x42, tensor_bytes) + meta
    head = b"\x09" + struct.pack("<d", WALL + step if wall is None else wall)
    return head + (b"\x10" + _varint(step) if step else b"") + _field(0x2A, _field(0x0A, value))


def framed(events: list[bytes]) -> bytes:
    return header() + b"".join(record(e) for e in events)


def test_the_hand_built_layout_is_what_keras_writes():
    """The bytes of a real Keras record (see tensor_scalars' docstring), rebuilt."""
    built = event(1, "epoch_loss", tensor(0.5, "content"))
    real = event_pb2.Event(wall_time=WALL + 1, step=1, summary=summary_pb2.Summary(
        value=[tensor_scalar("epoch_loss", 0.5)])).SerializeToString()
    assert built == real
    assert built[9:].hex(" ").startswith("10 01 2a 27 0a 25 0a 0a")


# ---- the real writers ---------------------------------------------------------------------------


def test_torch_new_style_scalars(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for step in range(300):
        writer.add_scalar("acc", step / 300, step, new_style=True)
        writer.add_scalar("loss64", 1 / (step + 1), step, new_style=True, double_precision=True)
        writer.add_scalar("plain", step, step)
    writer.close()
    buf = next(tmp_path.glob("*tfevents*")).read_bytes()
    fe = _both(buf, monkeypatch)
    assert fe.steps.size == 900 and set(fe.scalar_tags) == {"acc", "loss64", "plain"}
    assert _slow_records(buf, monkeypatch) == 1  # the file_version header


def test_tensorboard_writer_scalars(tmp_path, monkeypatch):
    from tensorboard.summary import Writer

    writer = Writer(str(tmp_path))
    for step in range(200):
        writer.add_scalar("loss", 1 / (step + 1), step)  # metadata carries data_class
        writer.add_scalar("described", step, step, description="a description: not the bulk layout")
    writer.close()
    buf = next(tmp_path.glob("*tfevents*")).read_bytes()
    fe = _both(buf, monkeypatch)
    assert fe.steps.size == 400
    assert _slow_records(buf, monkeypatch) == 1 + 200  # the header, the described tag


def test_event_file_writer_tf2_scalars_metadata_once(tmp_path, monkeypatch):
    """TF2 names a tag's plugin on its first write only; later writes are bare tensors."""
    events = [(s, [tensor_scalar("val/loss", 0.5 + s, first=s == 0)]) for s in range(100)]
    events += [(s, [tensor_scalar("val/acc", s / 100, first=s == 0, double=True)]) for s in range(100)]
    buf = write_events(tmp_path, events).read_bytes()
    fe = _both(buf, monkeypatch)
    assert fe.steps.size == 200 and fe.tag_plugins == {"val/loss": "scalars", "val/acc": "scalars"}


@pytest.mark.parametrize("how", ["content", "packed", "unpacked", "no_shape", "double", "double_content",
                                 "double_unpacked"])
def test_each_value_layout_with_and_without_step_and_metadata(how, monkeypatch):
    events = [event(s, "m", tensor(s / 7, how), SCALARS_META if s in (0, 5) else b"") for s in range(12)]
    buf = framed(events)
    fe = _both(buf, monkeypatch)
    assert fe.steps.tolist() == list(range(12)) and fe.first_step == 0
    assert _slow_records(buf, monkeypatch) == 1


def test_metadata_with_content_and_data_class(monkeypatch):
    content = _field(0x4A, _field(0x0A, _field(0x0A, b"scalars") + _field(0x12, b"\x08\x01")) + b"\x20\x01")
    buf = framed([event(s, "m", tensor(0.25 * s), content) for s in range(5)])
    assert _both(buf, monkeypatch).steps.size == 5
    assert _slow_records(buf, monkeypatch) == 1


def test_a_record_longer_than_a_scalar_takes_is_left_to_the_protobuf_path(monkeypatch):
    """Metadata `content` the scalars plugin never writes makes a record longer than
    `tensor_scalars._LONGEST`: not parsed in bulk (a histogram's records are not looked at
    twice), read by the protobuf path to the same rows, its tag named for the bare tensors."""
    long = _field(0x4A, _field(0x0A, _field(0x0A, b"scalars") + _field(0x12, bytes(600))))
    events = [event(s, "m", tensor(0.25 * s), long if s in (0, 3) else b"") for s in range(6)]
    events += [event(s, "short", tensor(s / 3)) for s in range(6)]
    buf = framed(events)
    assert len(events[0]) > tensor_scalars._LONGEST > len(events[1])
    fe = _both(buf, monkeypatch)
    assert fe.steps.size == 12 and set(fe.scalar_tags) == {"m", "short"}
    assert _slow_records(buf, monkeypatch) == 1 + 2  # the header and the two long records


# ---- a file of every variant, across batches and reads ------------------------------------------


def _mixed(bad_tag: bool = True) -> list[bytes]:
    """Bulk layouts mixed with what only the protobuf path reads, and tags whose plugin is named
    before, after, or not at all, or named otherwise; `bad_tag`: one tag that is no UTF-8."""
    bad_utf8 = b"\x09" + struct.pack("<d", WALL) + _field(0x2A, _field(0x0A, _field(0x0A, b"\xff\xfe")
                                                                    + _field(0x42, tensor(1.0)) + SCALARS_META))
    hist = tensor_histogram("h", np.array([[0.0, 1.0, 2.0]]))
    out = [event(1, "early", tensor(9.0), b"")]  # bare, before its tag is named: no row
    for s in range(1, 40):
        out += [event(s, "keras", tensor(s / 3, "content"), SCALARS_META if s == 1 else b""),
                event(s, "tb", tensor(s / 5, "packed")),
                event(s, "torch64", tensor(s / 9, "double")),
                event(s, "never_named", tensor(1.0), b""),
                record_bytes(s, [simple("simple", s)]),
                record_bytes(s, [simple("multi_a", s), tensor_scalar("multi_b", s, first=s == 1)]),
                event(s, "h", tensor(2.0), b"")]  # the tag is a histogram's: no scalar row
        if s == 3:
            out += [event(s, "early", tensor(1.0)), record_bytes(s, [hist])] + [bad_utf8] * bad_tag
        if s == 20:
            out.append(record_bytes(s, [tensor_scalar("late_slow", 1.0, first=True)]))
        if s > 20:  # named by a record the protobuf path read (it also held a simple value)
            out.append(event(s, "late_slow", tensor(s), b""))
    return out


def record_bytes(step: int, values: list) -> bytes:
    event = event_pb2.Event(wall_time=WALL + step, step=step, summary=summary_pb2.Summary(value=values))
    return event.SerializeToString()


@pytest.mark.parametrize("batch", [65_536, 1, 5, 64])
def test_a_mixed_file_in_batches_of_any_size(batch, monkeypatch):
    monkeypatch.setattr(framing, "BATCH", batch)
    buf = framed(_mixed())
    fe = _both(buf, monkeypatch)
    rows = {t: int((fe.scalar_ids == i).sum()) for i, t in enumerate(fe.scalar_tags)}
    assert rows == {"early": 1, "keras": 39, "tb": 39, "torch64": 39, "simple": 39, "multi_a": 39,
                    "multi_b": 39, "late_slow": 20}
    assert {"scalars", "histograms"} <= fe.plugins and fe.tag_plugins["h"] == "histograms"


def test_tags_named_in_an_earlier_read(monkeypatch):
    """`extend` (appended bytes of a live file) knows the plugins the first bytes named."""
    events = _mixed(bad_tag=False)  # damage would make `extend` ask for a full read
    whole = framed(events)
    cut = len(framed(events[:100]))
    for bulk in (True, False):
        with monkeypatch.context() as m:
            if not bulk:
                m.setattr(tensor_scalars, "parse", _no_tensors)
            first = records.decode(whole[:cut], "f")
            grown = records.extend(first, whole[cut:], "f")
            full = records.decode(whole, "f")
        assert grown is not None and "early" in first.tag_plugins
        assert_same(grown, full)
    assert_same(grown, _decode(whole, monkeypatch, bulk=True))


def test_a_plugin_given_by_the_caller_decides_bare_tensors(monkeypatch):
    buf = framed([event(s, t, tensor(s), b"") for s in range(1, 6) for t in ("a", "b", "c")])
    given = {"a": "scalars", "b": "histograms"}
    fast = _decode(buf, monkeypatch, bulk=True, tag_plugins=given)
    assert_same(fast, _decode(buf, monkeypatch, bulk=False, tag_plugins=given))
    assert fast.scalar_tags == ("a",) and fast.steps.size == 5 and "histograms" in fast.plugins


# ---- mutated records: the bulk path takes only what it fully checked ------------------------------


def test_mutated_records_decode_as_the_protobuf_path_decodes_them(monkeypatch):
    rng = np.random.default_rng(7)
    base = _mixed()[:120]
    for _ in range(60):
        events = []
        for data in base:
            data = bytearray(data)
            for _ in range(int(rng.integers(0, 3))):
                pos = int(rng.integers(len(data)))
                data[pos] = int(rng.integers(256)) if rng.random() < 0.5 else data[pos] ^ (1 << int(rng.integers(8)))
            if rng.random() < 0.1:
                data = data[: int(rng.integers(len(data)))]
            events.append(bytes(data))
        buf = framed(events)
        try:
            fast = _decode(buf, monkeypatch, bulk=True)
        except ReaderError:
            with pytest.raises(ReaderError):
                _decode(buf, monkeypatch, bulk=False)
            continue
        assert_same(fast, _decode(buf, monkeypatch, bulk=False))


def test_a_bulk_file_read_through_the_reader(tmp_path, monkeypatch):
    from diagnostics import reader

    reader.clear_cache()
    (tmp_path / "run").mkdir()
    Path(tmp_path / "run" / "events.out.tfevents.1.host.1.0").write_bytes(framed(_mixed()))
    run = reader.load(tmp_path / "run").runs[0]
    assert len(run.scalars) == 39 * 6 + 1 + 20
    reader.clear_cache()
