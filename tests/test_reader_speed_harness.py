"""The reader-speed harness (benchmarks/reader_speed.py) end to end at a tiny scale: every shape
measured with every reader, positive numbers, the acceptance checks printed; and the CRC scan
(the floor the issue compares against) counts exactly the records our reader decodes.

    pytest tests/test_reader_speed_harness.py
"""
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_readers, log_shapes
from diagnostics import records

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reader_speed")
    out = folder / "report.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.reader_speed", str(folder), "--scale", "0.0001",
                           "--repeat", "1", "--shapes", ",".join(log_shapes.SHAPES), "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, json.loads(out.read_text())


def test_every_shape_measured_with_every_reader(harness):
    stdout, report = harness
    for shape in log_shapes.SHAPES:
        assert f"## {shape}:" in stdout
        results = report["shapes"][shape]["results"]
        assert list(results) == list(bench_readers.READERS)
        for r in results.values():
            assert "error" not in r, r
            assert min(r["times"]) > 0 and r["rss_mb"] > 0 and r["points"] > 0
    for label in bench_readers.LABELS.values():
        assert stdout.count(f"| {label} |") == len(log_shapes.SHAPES)
    assert report["shapes"]["runs"]["results"]["ours"]["reopen_s"] > 0
    assert "## acceptance" in stdout and len(report["checks"]) == 3 * len(log_shapes.SHAPES) + 1


def test_readers_agree_on_the_points_and_the_scan_adds_one_header_per_file(harness):
    _, report = harness
    for shape, entry in report["shapes"].items():
        points = {name: r["points"] for name, r in entry["results"].items()}
        files = len(bench_readers.event_files(Path(entry["path"])))
        assert points["ours"] == points["tbparse"] == points["event_accumulator"], (shape, points)
        assert points["scan"] == points["ours"] + files, (shape, points)


def test_scan_counts_the_records_our_reader_decodes(harness):
    _, report = harness
    for shape, entry in report["shapes"].items():
        path = bench_readers.event_files(Path(entry["path"]))[0]
        buf = path.read_bytes()
        decoded = records.decode(buf, path.name)
        assert bench_readers.scan_bytes(buf) == decoded.events + decoded.has_header, shape


def test_scan_checks_both_crcs():
    record = log_shapes.frame(b"\x08\x01")
    assert bench_readers.scan_bytes(record * 3) == 3
    for at, what in ((9, "length"), (13, "data")):
        bad = bytearray(record)
        bad[at] ^= 1
        with pytest.raises(ValueError, match=what):
            bench_readers.scan_bytes(bytes(bad))


def test_tf2_records_are_the_bytes_keras_writes():
    """The layout of a real Keras log's record (tensor_content float32, an empty shape, the
    scalars plugin named on every value)."""
    keras = (b"\x09" + struct.pack("<d", 1.5) + b"\x10\x07\x2a\x27\x0a\x25\x0a\x0aepoch_loss"
             + b"\x42\x0a\x08\x01\x12\x00\x22\x04" + struct.pack("<f", 0.25)
             + b"\x4a\x0b\x0a\x09\x0a\x07scalars")
    assert log_shapes.keras_event("epoch_loss", 0.25, 7, 1.5) == keras
