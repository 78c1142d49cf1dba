"""A file still being written is decoded once, then only in its appended bytes: the result must
be exactly what a full read of the same bytes gives, at every point the writer could be at."""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest

from diagnostics import reader, records, run_folder
from diagnostics.reader import load
from tests.test_reader_writers import OLD, simple, tensor_histogram, tensor_scalar, write_events


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()
    yield
    reader.clear_cache()


def _events(n: int) -> list:
    """Fast-path scalars, TF2 tensor scalars (plugin named on the first write only), a tag that
    first appears late, histograms."""
    buckets = np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 5.0]])
    out = []
    for step in range(n):
        values = [simple("train/loss", 1.0 / (step + 1)), tensor_scalar("val/loss", 0.5 + step, first=step == 0)]
        if step >= n // 2:
            values.append(simple("opt/lr", 0.1))
        if step % 5 == 0:
            values.append(tensor_histogram("grad/fc1", buckets + step))
        out.append((step, values))
    return out


def _frames(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's rows in file order, tags as text (category order may differ, content not)."""
    return tuple(f.drop(columns="run").assign(tag=f["tag"].astype(str)).reset_index(drop=True)
                 for f in (run.scalars, run.histograms))


def test_a_growing_file_read_in_pieces_equals_a_full_read(tmp_path, monkeypatch):
    whole = write_events(tmp_path / "source", _events(60), wall0=time.time() - 60).read_bytes()
    live = tmp_path / "live"
    live.mkdir()
    path = live / "events.out.tfevents.1.host.1.0"
    decoded: list[int] = []  # bytes decoded of the live file
    real = records.decode

    def counting(buf, name, *rest):
        if name.startswith("live/"):
            decoded.append(len(buf))
        return real(buf, name, *rest)

    monkeypatch.setattr(run_folder, "decode", counting)
    monkeypatch.setattr(records, "decode", counting)  # what `extend` calls for appended bytes
    cuts = sorted({*np.linspace(300, len(whole), 15).astype(int).tolist()})  # mid-record too
    done = 0
    for i, cut in enumerate(cuts):
        with open(path, "ab") as fh:  # the writer appends
            fh.write(whole[done:cut])
        done = cut
        grown = load(live).runs[0]
        ref = tmp_path / f"ref{i}"
        ref.mkdir()
        (ref / path.name).write_bytes(whole[:cut])
        os.utime(ref / path.name, (OLD, OLD))  # not live: decoded from its first byte
        full = load(ref).runs[0]
        for a, b in zip(_frames(grown), _frames(full)):
            pd.testing.assert_frame_equal(a, b)
        assert grown.tag_map == full.tag_map
    assert len(grown.scalars) == 60 * 2 + 30 and len(grown.histograms) == 12 * 2
    # each byte decoded about once, not once per look (the 15 prefixes add up to ~8x the file)
    assert sum(decoded) < 1.3 * len(whole) < sum(cuts) / 5


def test_a_rewritten_file_is_read_again_from_the_start(tmp_path):
    path = write_events(tmp_path / "run", [(s, [simple("train/loss", 1.0)]) for s in range(20)],
                        wall0=time.time() - 30)
    os.utime(path)  # just written: live
    assert len(load(tmp_path / "run").runs[0].scalar("train/loss")) == 20
    other = write_events(tmp_path / "other", [(s, [simple("train/loss", 2.0)]) for s in range(30)],
                         wall0=time.time() - 30).read_bytes()
    with open(path, "r+b") as fh:  # the same inode, longer, but its past changed
        fh.write(other)
    os.utime(path)
    loss = load(tmp_path / "run").runs[0].scalar("train/loss")
    assert len(loss) == 30 and set(loss) == {2.0}  # not the old 20 plus a tail framed from the middle


def test_damage_appended_to_a_live_file_is_found_by_a_full_read(tmp_path):
    path = write_events(tmp_path / "run", [(s, [simple("train/loss", 1.0)]) for s in range(20)],
                        wall0=time.time() - 30)
    os.utime(path)
    load(tmp_path / "run")
    good = write_events(tmp_path / "more", [(s, [simple("train/loss", 3.0)]) for s in range(20, 25)],
                        wall0=time.time() - 5).read_bytes()
    garbage = np.random.default_rng(0).bytes(300)
    with open(path, "ab") as fh:  # junk between two good stretches, as a crashed writer leaves
        fh.write(garbage + good)
    os.utime(path)
    result = load(tmp_path / "run")
    reference = records.decode(path.read_bytes(), "ref")
    assert len(result.runs[0].scalars) == reference.steps.size == 25
    assert [e.message for e in result.errors] == list(reference.problems)  # the damage, reported
