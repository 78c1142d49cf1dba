"""Event-file bytes -> columns: `decode` (a whole file) and `extend` (bytes appended to one).

The byte format lives in `framing.py` (TFRecord framing; its CRCs in `record_checks.py`) and
`summaries.py` (Event protobufs -> rows); this module runs them over one file batch by batch and
keeps the columns.

Speed (see benchmarks/reader_speed.py): records laid out exactly as `SummaryWriter.add_scalar`
writes them (wall_time, step, one simple_value) or as TF2/Keras write a scalar tensor
(`tensor_scalars.py`) are decoded all at once in numpy; every other record goes through the
compiled protobuf (`event_pb2`). Both paths keep every event; rows come out in file order.

Memory: the framer hands out at most `framing.BATCH` records at a time and each batch's rows
are packed into numpy columns before the next is read, so working memory is one batch whatever
the file holds; what stays is the file's bytes and its rows (see benchmarks/hostile_reader.py).
Histograms the bulk decoder read are the exception: their rows are written once the file's end
is reached, at their final size (`histogram_columns.py`); until then 80 bytes per histogram.

Damage: a record whose data CRC fails is skipped; a length whose CRC fails makes the reader
search forward for the next intact record (both CRCs must match, so a false hit is ~2**-64);
an incomplete last record is reported as `tail` bytes, for the caller to judge (live or not).
A record of zero bytes, one that is no Event, or a summary value that breaks the format's
rules is counted, reported and skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diagnostics.errors import ReaderError
from diagnostics.framing import Framer
from diagnostics.histogram_columns import HistColumns
from diagnostics.histograms_decode import fast_histograms
from diagnostics.messages import Msg
from diagnostics.summaries import Slow, tensor_array
from diagnostics.tensor_scalars import Bulk

__all__ = ["FileEvents", "ReaderError", "decode", "extend", "tensor_array"]


@dataclass(frozen=True, eq=False)
class FileEvents:
    """Everything read from one event file, as columns in file order."""

    scalar_tags: tuple[str, ...] = ()
    scalar_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    wall_times: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    hist_tags: tuple[str, ...] = ()
    hist: dict[str, np.ndarray] = field(default_factory=dict)  # id, step, wall_time, left, right, count
    hist_heads: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each histogram's first row
    plugins: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()  # Event oneof kinds seen: summary, graph_def, ...
    source_writer: str = ""
    has_header: bool = False  # a file_version record was found
    events: int = 0  # decoded records other than the file_version header
    first_step: int | None = None
    hparams: dict[str, Any] | None = None
    tail: int = 0  # bytes of an incomplete record at the end of the file
    last_wall_time: float = float("nan")  # of the last intact record: how recently it was written
    resume_at: int | None = None  # where the intact records end, when the file ends cleanly
    tag_plugins: dict[str, str] = field(default_factory=dict)  # TF2 names a tag's plugin once
    problems: tuple[str, ...] = ()  # damage that was skipped over


class _Columns:
    """The rows of one file, packed batch by batch."""

    def __init__(self, tag_plugins: dict[str, str] | None) -> None:
        self.slow = Slow(tag_plugins)
        self.tags: dict[str, int] = {}
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "step", "value", "wall")}
        self.hists = HistColumns()
        self.records = self.empty = 0
        self.fast_first: tuple[int, int] | None = None
        self.fast_any = False
        self.last_start = -1

    def add(self, buf: bytes, arr: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> None:
        base = self.records
        bulk = Bulk(arr, starts, lens, base)  # add_scalar's simple values and TF2 tensor scalars
        ok = bulk.taken
        if bulk.first:
            self.fast_first = min(self.fast_first or bulk.first, bulk.first)
        self.fast_any |= bulk.first is not None
        empty = lens == 0  # no Event at all: counted, not decoded
        self.empty += int(empty.sum())
        slow = self.slow
        fast_hists = fast_histograms(arr, starts, lens, ~ok & ~empty)  # torch's add_histogram records
        if fast_hists.recs.size:
            fast_hists.note(slow)
            first = (base + int(fast_hists.recs[0]), int(fast_hists.step[0]))
            self.fast_first = min(self.fast_first or first, first)
        rest = np.flatnonzero(~ok & ~empty & ~fast_hists.mask)
        for rec in bulk.slow_order(slow, rest):
            s = int(starts[rec])
            slow.add(base + rec, buf[s : s + int(lens[rec])])
        fast_rec, names, ids, steps, values, walls = bulk.rows()
        remap = np.asarray([self.tags.setdefault(t, len(self.tags)) for t in names], np.int32)
        ids = remap[ids] if names else np.zeros(0, np.int32)
        rows = slow.take_scalars()
        if rows:
            rec, tags, st, va, wa = zip(*rows)
            sid = np.fromiter((self.tags.setdefault(t, len(self.tags)) for t in tags), np.int32, len(tags))
            order = np.argsort(np.concatenate([fast_rec + base, np.asarray(rec, np.int64)]), kind="stable")
            ids = np.concatenate([ids, sid])[order]
            steps = np.concatenate([steps, np.asarray(st, np.int64)])[order]
            values = np.concatenate([values, np.asarray(va, np.float64)])[order]
            walls = np.concatenate([walls, np.asarray(wa, np.float64)])[order]
        for key, col in (("id", ids), ("step", steps), ("value", values), ("wall", walls)):
            if col.size:
                self.cols[key].append(col)
        self.hists.add(fast_hists, slow.take_hists(), base)
        self.records += starts.size
        self.last_start = int(starts[-1])

    def column(self, key: str, dtype) -> np.ndarray:
        parts = self.cols[key]
        return np.concatenate(parts) if parts else np.zeros(0, dtype)


def decode(buf: bytes, name: str, tag_plugins: dict[str, str] | None = None) -> FileEvents:
    """All events of one file's bytes. Raises ReaderError when it is not an event file.
    `tag_plugins`: what earlier bytes of the same file said (`extend` decodes appended bytes)."""
    framer = Framer(buf, name)
    arr = np.frombuffer(buf, np.uint8)
    cols = _Columns(tag_plugins)
    for starts, lens in framer.batches():
        cols.add(buf, arr, starts, lens)
    slow = cols.slow
    problems = framer.problems + slow.problems()
    if cols.empty:
        problems.append(Msg("file.empty_records", n=cols.empty))
    steps = cols.column("step", np.int64)
    firsts = [f for f in (slow.first, cols.fast_first) if f]
    return FileEvents(
        scalar_tags=tuple(cols.tags),
        scalar_ids=cols.column("id", np.int32).astype(np.int32, copy=False),
        steps=steps,
        values=cols.column("value", np.float64),
        wall_times=cols.column("wall", np.float64),
        **cols.hists.result(),
        plugins=frozenset(slow.plugins | ({"scalars"} if steps.size else set())),
        kinds=frozenset(slow.kinds | ({"summary"} if cols.fast_any else set())),
        source_writer=slow.source,
        has_header=slow.headers > 0,
        events=cols.records - slow.undecodable - slow.headers - cols.empty,
        first_step=min(firsts)[1] if firsts else None,
        hparams=slow.hparams,
        tail=framer.tail,
        last_wall_time=_wall_time(buf, cols.last_start) if cols.last_start >= 0 else float("nan"),
        resume_at=len(buf) - framer.tail if framer.clean else None,
        tag_plugins=slow.tag_plugin,
        problems=tuple(problems),
    )


def extend(prev: FileEvents, appended: bytes, name: str) -> FileEvents | None:
    """`prev` (a clean decode of a file's first bytes) plus the events of the bytes written
    after `prev.resume_at`; None where only a full decode can tell (damage on either side,
    too few bytes to frame): a growing live file is then read again from its start."""
    if prev.problems or prev.resume_at is None:
        return None
    try:
        new = decode(appended, name, prev.tag_plugins)
    except ReaderError:
        return None
    if new.problems or new.resume_at is None:
        return None
    tags = {t: i for i, t in enumerate(prev.scalar_tags)}
    remap = np.asarray([tags.setdefault(t, len(tags)) for t in new.scalar_tags], np.int32)
    hist_tags = {t: i for i, t in enumerate(prev.hist_tags)}
    hist_remap = np.asarray([hist_tags.setdefault(t, len(hist_tags)) for t in new.hist_tags], np.int32)
    hist, heads = prev.hist, prev.hist_heads
    if new.hist and new.hist["id"].size:
        added = {**new.hist, "id": hist_remap[new.hist["id"]]}
        hist = {k: np.concatenate([prev.hist[k], added[k]]) if prev.hist else added[k] for k in added}
        heads = np.concatenate([heads, new.hist_heads + (prev.hist["id"].size if prev.hist else 0)])
    return FileEvents(
        scalar_tags=tuple(tags),
        scalar_ids=np.concatenate([prev.scalar_ids, remap[new.scalar_ids]]),
        steps=np.concatenate([prev.steps, new.steps]),
        values=np.concatenate([prev.values, new.values]),
        wall_times=np.concatenate([prev.wall_times, new.wall_times]),
        hist_tags=tuple(hist_tags),
        hist=hist,
        hist_heads=heads,
        plugins=prev.plugins | new.plugins,
        kinds=prev.kinds | new.kinds,
        source_writer=prev.source_writer or new.source_writer,
        has_header=prev.has_header or new.has_header,
        events=prev.events + new.events,
        first_step=prev.first_step if prev.first_step is not None else new.first_step,
        hparams=prev.hparams if prev.hparams is not None else new.hparams,
        tail=new.tail,
        last_wall_time=new.last_wall_time if new.events else prev.last_wall_time,
        resume_at=prev.resume_at + new.resume_at,
        tag_plugins={**new.tag_plugins, **prev.tag_plugins},
    )


def _wall_time(buf: bytes, start: int) -> float:
    """An Event's wall_time: field 1, a double, which every writer serialises first."""
    if buf[start : start + 1] == b"\x09" and len(buf) >= start + 9:
        return float(np.frombuffer(buf, "<f8", 1, start + 1)[0])
    return float("nan")


