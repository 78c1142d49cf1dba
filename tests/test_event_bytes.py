"""A whole event file mapped rather than read (`diagnostics/event_bytes.py`): the same events,
problems and runs as reading it, only for settled files, and the map closed once decoded."""
from __future__ import annotations

import mmap
import os
import time

import numpy as np
import pandas as pd
import pytest

from diagnostics import event_bytes, reader, records
from tests.hostile import crafted_framing, good_records, header, hostile_summaries, random_framing, record
from tests.test_reader_histograms import _same
from tests.test_reader_writers import OLD, simple, tensor_histogram, tensor_scalar, write_events


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()
    yield
    reader.clear_cache()


@pytest.fixture
def map_everything(monkeypatch):
    """Every settled file is mapped, whatever its size."""
    monkeypatch.setattr(event_bytes, "MAP_BYTES", 0)


def _write(path, data: bytes, mtime: float = OLD):
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def _files(rng) -> dict[str, bytes]:
    return {"random": random_framing(rng), "summaries": header() + hostile_summaries(rng),
            "alternating": crafted_framing("alternating", 20_000), "zero_gaps": crafted_framing("zero_gaps", 20_000),
            "good": header() + b"".join(good_records(300))}


@pytest.mark.skipif(not hasattr(mmap, "MAP_POPULATE"), reason="maps only on Linux")
def test_a_settled_file_is_mapped_and_decodes_as_read(tmp_path, map_everything):
    rng = np.random.default_rng(3)
    for name, data in _files(rng).items():
        path = _write(tmp_path / f"events.out.tfevents.1.{name}", data)
        with event_bytes.whole(path, len(data), settled=True) as mapped:
            assert isinstance(mapped, mmap.mmap), name
            fe = records.decode(mapped, name)
        assert mapped.closed, name  # nothing decoded holds a view of it
        _same(fe, records.decode(data, name))


@pytest.mark.skipif(not hasattr(mmap, "MAP_POPULATE"), reason="maps only on Linux")
def test_not_mapped_when_live_recent_short_or_small(tmp_path, map_everything, monkeypatch):
    data = header() + b"".join(good_records(20))
    old = _write(tmp_path / "old", data)
    with event_bytes.whole(old, len(data), settled=False) as got:  # the caller takes it to be live
        assert got == data and isinstance(got, bytes)
    recent = _write(tmp_path / "recent", data, mtime=time.time())
    with event_bytes.whole(recent, len(data), settled=True) as got:  # changed a moment ago
        assert isinstance(got, bytes)
    with event_bytes.whole(old, len(data) + 100, settled=True) as got:  # shorter than stat'ed
        assert got == data
    empty = _write(tmp_path / "empty", b"")
    with event_bytes.whole(empty, 0, settled=True) as got:
        assert got == b""
    monkeypatch.setattr(event_bytes, "MAP_BYTES", len(data) + 1)
    with event_bytes.whole(old, len(data), settled=True) as got:  # small: a copy is cheap
        assert isinstance(got, bytes)


def test_a_refused_populate_reads_the_file(tmp_path, map_everything, monkeypatch):
    data = header() + b"".join(good_records(20))
    path = _write(tmp_path / "f", data)

    class Refusing(mmap.mmap):
        def madvise(self, *args):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(event_bytes.mmap, "mmap", Refusing)
    with event_bytes.whole(path, len(data), settled=True) as got:
        assert got == data and isinstance(got, bytes)


def _frames(result) -> list:
    return [(r.run, r.scalars.assign(tag=r.scalars["tag"].astype(str)), r.histograms.assign(
        tag=r.histograms["tag"].astype(str)), r.problems) for r in result.runs]


@pytest.mark.skipif(not hasattr(mmap, "MAP_POPULATE"), reason="maps only on Linux")
def test_a_logdir_loads_the_same_mapped_or_read(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    for name, data in _files(rng).items():
        (tmp_path / name).mkdir()
        _write(tmp_path / name / "events.out.tfevents.1.host", data)
    hist = np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 5.0]])
    write_events(tmp_path / "writers", [(s, [simple("loss", 1 / (s + 1)), tensor_scalar("acc", s / 10),
                                             tensor_histogram("grad/fc1", hist + s)]) for s in range(40)])
    (tmp_path / "lfs").mkdir()
    _write(tmp_path / "lfs" / "events.out.tfevents.2.host", b"version https://git-lfs.github.com/spec/v1\n" * 3)
    (tmp_path / "cut").mkdir()
    _write(tmp_path / "cut" / "events.out.tfevents.3.host", (header() + record(b"\x09" + bytes(40)))[:-7])

    read = reader.load(tmp_path)
    reader.clear_cache()
    monkeypatch.setattr(event_bytes, "MAP_BYTES", 0)
    mapped = reader.load(tmp_path)
    assert [str(p.message) for p in mapped.errors] == [str(p.message) for p in read.errors]
    assert [p.file for p in mapped.errors] == [p.file for p in read.errors]
    for (name_a, s_a, h_a, p_a), (name_b, s_b, h_b, p_b) in zip(_frames(mapped), _frames(read), strict=True):
        assert name_a == name_b and p_a == p_b
        pd.testing.assert_frame_equal(s_a, s_b)
        pd.testing.assert_frame_equal(h_a, h_b)


def test_by_default_nothing_is_mapped(tmp_path):
    # a file truncated while mapped is a SIGBUS that would take the app's server down
    data = header() + b"".join(good_records(20))
    old = _write(tmp_path / "old", data)
    with event_bytes.whole(old, len(data), settled=True) as got:
        assert isinstance(got, bytes) and got == data
