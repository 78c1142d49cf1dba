"""Fuzz: truncated, bit-flipped, overwritten, spliced event files. The reader must answer with a
clean ReaderError or `errors` entry, or a partial read whose every row is a row of the original
file -- never another exception, never an invented value."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from diagnostics import reader
from diagnostics.reader import ReaderError, load
from tests.test_reader_writers import OLD, simple, tensor_histogram, tensor_scalar, write_events

REALLOGS = Path(__file__).resolve().parents[2] / "shared" / "reallogs"
REAL = [
    "CostaFernando__sentiment-with-deep-neural-networks-and-trax/model/train/events.out.tfevents.1636895653.b02873cb9d21",
    "bishalrocks1234__Bird-Classifier/logs/validation/events.out.tfevents.1680499875.DESKTOP-1BABQ1P.4116.8.v2",
    "AmelNozieres__Mushrooms_YOLOv5/runs/train/exp/events.out.tfevents.1612791497.amel-system.4684.0",
    "janosh__tensorboard-reducer/tests/runs/duplicate_steps/run_1/events.out.tfevents.1622966509.janoshs-mbp.lan.86059.0",
    "norlab-ulaval__droneSegmentation/output_SP/events.out.tfevents.1734543446.Kamyar.3666401.0",
]
CASES = 320


def _rows(result) -> Counter:
    rows: Counter = Counter()
    for run in result.runs:
        frame = run.scalars
        for tag, step, value, wall in zip(frame["tag"], frame["step"], frame["value"], frame["wall_time"]):
            rows[(tag, int(step), np.float64(value).tobytes(), float(wall))] += 1
    return rows


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    buf = bytearray(data)
    kind = rng.integers(6)
    at = int(rng.integers(len(buf)))
    if kind == 0:  # cut short
        return bytes(buf[:at])
    if kind == 1:  # flip a few bits
        for pos in rng.integers(len(buf), size=int(rng.integers(1, 5))):
            buf[pos] ^= 1 << int(rng.integers(8))
        return bytes(buf)
    span = int(rng.integers(1, 64))
    if kind == 2:  # overwrite with noise
        buf[at : at + span] = rng.bytes(len(buf[at : at + span]))
    elif kind == 3:  # insert noise
        buf[at:at] = rng.bytes(span)
    elif kind == 4:  # lose a span
        del buf[at : at + span]
    else:  # head cut off
        return bytes(buf[at:])
    return bytes(buf)


def _sources(tmp_path: Path) -> list[tuple[str, bytes]]:
    synthetic = write_events(tmp_path / "synthetic", [
        (s, [simple("loss", 1.0 / (s + 1)), tensor_scalar("epoch_loss", s / 3.0, first=s == 0),
             tensor_histogram("grad/fc1", np.array([[0.0, 1.0, float(s)], [1.0, 2.0, 1.0]]))])
        for s in range(30)])
    sources = [(synthetic.name, synthetic.read_bytes())]
    sources += [(Path(r).name, (REALLOGS / r).read_bytes()) for r in REAL if (REALLOGS / r).exists()]
    return sources


def test_damaged_files_give_clean_errors_or_honest_partial_reads(tmp_path):
    reader.clear_cache()
    rng = np.random.default_rng(20261125)
    sources = _sources(tmp_path / "src")
    originals = []
    for i, (name, data) in enumerate(sources):
        folder = tmp_path / f"orig{i}"
        folder.mkdir()
        (folder / name).write_bytes(data)
        os.utime(folder / name, (OLD, OLD))
        originals.append(_rows(load(folder)))
    outcomes: Counter = Counter()
    for case in range(CASES):
        src = case % len(sources)
        name, data = sources[src]
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        (folder / name).write_bytes(_mutate(data, rng))
        os.utime(folder / name, (OLD, OLD))
        try:
            result = load(folder)
        except ReaderError as err:  # refusing the whole input is allowed, with a one-line message
            assert "\n" not in str(err)
            outcomes["refused"] += 1
            continue
        got = _rows(result)
        assert not got - originals[src], f"case {case}: rows that are not in the original"
        assert all(e.message and "\n" not in e.message for e in result.errors)
        outcomes["errors" if result.errors else "clean"] += 1
        if not result.runs:
            assert result.errors, f"case {case}: nothing loaded and nothing said"
    reader.clear_cache()
    assert outcomes["errors"] > CASES // 2  # damage is noticed, not silently absorbed


@pytest.mark.parametrize("junk", [b"", b"\x00" * 100, b"PK\x03\x04" + bytes(60), b"hello world\n" * 9])
def test_junk_is_reported_by_name(tmp_path, junk):
    (tmp_path / "events.out.tfevents.1.junk").write_bytes(junk)
    result = load(tmp_path)
    assert result.runs == [] and len(result.errors) == 1
    assert result.errors[0].file.endswith("events.out.tfevents.1.junk")
    assert result.errors[0].message.startswith(("empty file", "not an event file"))
