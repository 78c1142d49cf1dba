"""Histogram records decoded all at once: what torch's `SummaryWriter.add_histogram` (and
TensorBoard's EventFileWriter with a HistogramProto) writes, one histogram per Event:

    Event{wall_time?, step?, summary{value{tag, histo{min? max? num? sum? sum_squares?
                                                       bucket_limit? bucket?}}}}

(`?`: proto3 leaves out a zero field). The layout is verified byte by byte, every length must
add up to the record's end; any other record -- several values, metadata, unpacked buckets,
fields out of order, as many bucket limits as buckets not -- is left to `summaries.Slow`, so
malformed histograms are counted there as before. Rows are `summaries.histo_rows`' exactly.

Cost: numpy over all records of a batch, no Python per record, in chunks of at most `CHUNK`
buckets so the temporaries stay small (and are reused by malloc rather than mapped afresh).
Memory: rows are written straight into `histogram_columns.HistColumns`' arrays, no copy between.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import as_strided

from diagnostics.summaries import intern_tags

CHUNK = 1 << 20  # buckets (or rows) handled at a time
_RECORDS = 16_384  # records laid out at once: their first bytes stay in the CPU cache (1.7x faster)
_HISTO_DOUBLES = (0x09, 0x11, 0x19, 0x21, 0x29)  # min, max, num, sum, sum_squares


@dataclass(frozen=True)
class FastHists:
    """The histogram records of one batch that were decoded here (`mask`, over the batch), one
    entry per record in file order; `write` puts their rows where they are wanted."""

    mask: np.ndarray  # bool per batch record: decoded here, not to go to the slow path
    recs: np.ndarray  # int64 batch index of each decoded record
    names: list[str]  # tag names; `tag` indexes them
    tag: np.ndarray  # int32 per record
    step: np.ndarray  # int64 per record
    wall_time: np.ndarray  # float64 per record
    rows: np.ndarray  # int64 rows per record (0: every bucket empty)
    first: np.ndarray  # int64 its first non-empty bucket
    bucket_at: np.ndarray  # int64 byte offset of its packed bucket counts
    limit_at: np.ndarray  # ... and of its bucket limits
    lo: np.ndarray  # float64 its min: the first row's left edge
    hi: np.ndarray  # float64 its max: the last row's right edge
    f8: np.ndarray | None  # the file's bytes as a double at every offset

    def note(self, slow) -> None:
        """What `summaries.Slow` notes of a file for such records (the plugins a tag's metadata named)."""
        slow.plugins.add("histograms")
        slow.kinds.add("summary")
        slow.plugins.update(p for p in map(slow.tag_plugin.get, self.names) if p)

    def nonempty(self) -> FastHists:
        """Only the records that have rows, without `mask`: what is kept until `write` (a file of
        empty histograms holds nothing for them)."""
        has = self.rows > 0
        per_record = ("recs", "tag", "step", "wall_time", "rows", "first", "bucket_at", "limit_at", "lo", "hi")
        return replace(self, mask=self.mask[:0], **{k: getattr(self, k)[has] for k in per_record})

    def write(self, cols: dict[str, np.ndarray], at: int, codes: np.ndarray) -> None:
        """The rows into `cols` (id, step, wall_time, left, right, count) from row `at` on,
        `codes[tag]` as each record's id: `histo_rows`, all records at once. Records with the
        same number of rows go together, each one a row of a 2-D strided view on both sides, so
        numpy copies runs of doubles rather than one indexed double at a time."""
        head = at + np.cumsum(self.rows) - self.rows  # each record's first row in `cols`
        tags = codes[self.tag]
        for rows, recs in _by_size(self.rows):
            for g in np.array_split(recs, -(-recs.size * rows // CHUNK)):
                first = 8 * self.first[g]
                if g.size and g[-1] - g[0] + 1 == g.size:  # records in a row (every one, when all have as many rows)
                    a = int(head[g[0]])  # their rows are one block of `cols`: written in place, not scattered
                    out = {key: col[a : a + g.size * rows].reshape(g.size, rows) for key, col in cols.items()}
                    at_rows = slice(None)
                else:
                    out = {key: _runs(col, rows) for key, col in cols.items()}
                    at_rows = head[g]
                out["count"][at_rows] = _runs(self.f8, rows, 8)[self.bucket_at[g] + first]
                # bucket k's edges are limits k-1 and k (one read for both), but the first left
                # edge is the min and the last right edge the max
                edges = _runs(self.f8, rows + 1, 8)[self.limit_at[g] + first - 8]
                edges[:, 0] = self.lo[g]
                edges[:, -1] = self.hi[g]
                out["left"][at_rows] = edges[:, :-1]
                out["right"][at_rows] = edges[:, 1:]
                for key, per_record in (("id", tags), ("step", self.step), ("wall_time", self.wall_time)):
                    out[key][at_rows] = per_record[g, None]


def _by_size(rows: np.ndarray):
    """(rows, the records with that many) for each count of rows but 0; at most sqrt(2 x all
    rows) sizes, so the numpy calls per size stay a small cost."""
    order = np.argsort(rows, kind="stable")
    sizes, starts = np.unique(rows[order], return_index=True)
    for size, a, b in zip(sizes.tolist(), starts.tolist(), [*starts[1:].tolist(), rows.size]):
        if size:
            yield size, order[a:b]


def _runs(a: np.ndarray, width: int, step: int | None = None) -> np.ndarray:
    """A 2-D view of `a` whose row i is `width` items from item i on, `step` bytes apart (its
    items by default): `view[i]` is a run starting at i."""
    step = step or a.itemsize
    return as_strided(a, shape=(a.size - (width - 1) * step // a.strides[0], width), strides=(a.strides[0], step),
                      writeable=a.flags.writeable)


def fast_histograms(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray, cand: np.ndarray) -> FastHists:
    """Decode the records among `cand` (a mask over the batch) laid out as above."""
    try:
        found = _decode(arr, starts, lens, cand)
    except Exception:  # noqa: BLE001 - a bug here must not cost the file: the slow path reads it all
        found = None
    if found is not None:
        return found
    i8, f8 = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return FastHists(np.zeros(starts.size, bool), i8, [], i8.astype(np.int32), i8, f8, i8, i8, i8, i8,
                     f8, f8, None)


def _decode(arr, starts, lens, cand) -> FastHists | None:
    recs = np.flatnonzero(cand)
    if not recs.size or arr.size < 8:
        return None
    f8 = np.ndarray((arr.size - 7,), "<f8", buffer=arr, strides=(1,))  # a double at every byte
    o, end = starts[recs], starts[recs] + lens[recs]
    parts = [_chunk(arr, f8, o[i : i + _RECORDS], end[i : i + _RECORDS]) for i in range(0, o.size, _RECORDS)]
    lay = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    names, ids, named = intern_tags(arr, lay["tag"][lay["ok"]], lay["tag_len"][lay["ok"]])
    keep = np.flatnonzero(lay["ok"])[named]
    if not keep.size:
        return None
    lay = {k: v[keep] for k, v in lay.items()}
    mask = np.zeros(starts.size, bool)
    mask[recs[keep]] = True
    return FastHists(mask, recs[keep], names, ids[named], lay["step"], lay["wall"], lay["rows"], lay["first"],
                     lay["buckets"], lay["limits"], lay["min"], lay["max"], f8)


def _chunk(arr: np.ndarray, f8: np.ndarray, o: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """`_layout`, then the doubles and bucket counts it leads to, read while the records' bytes
    are in the CPU cache; only where the layout holds (elsewhere offsets may point anywhere)."""
    lay = _layout(arr, o, end)
    ok = lay["ok"]
    for name in ("wall", "min", "max"):
        has = ok & lay.pop("has_" + name)
        lay[name] = np.where(has, f8[np.where(has, lay[name], 0)], 0.0)  # an absent field is 0.0
    lay["first"], lay["rows"] = _extent(f8, lay["buckets"], np.where(ok, lay.pop("n"), 0))
    return lay


def _varint(at, p: np.ndarray, active: np.ndarray, width: int):
    """(value, bytes, ok) of the varints at `p` where `active`; ok is False where one runs past
    `width` bytes (10 for an int64, 5 for a length) or its 10th byte holds more than one bit."""
    value = np.zeros(p.size, np.uint64)
    size = np.zeros(p.size, np.int64)
    cont = active.copy()
    bad = np.zeros(p.size, bool)
    for k in range(width):
        if not cont.any():
            break
        b = at(p + k).astype(np.uint64)
        value |= np.where(cont, (b & np.uint64(0x7F)) << np.uint64(7 * k), np.uint64(0))
        size += cont
        if k == 9:
            bad |= cont & (b > 1)
        cont &= b >= 0x80
    return value, size, ~(cont | bad)


def _field(at, p: np.ndarray, ok: np.ndarray, key: int):
    """A length-delimited field `key` at `p`, if there: (present, data start, length, ok)."""
    has = ok & (at(p) == key)
    n, size, good = _varint(at, p + 1, has, 5)
    return has, p + 1 + size, n.astype(np.int64), ok & good


def _layout(arr: np.ndarray, o: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """Walk every record's fields in order at once; `ok` where the layout holds exactly."""
    def at(i: np.ndarray) -> np.ndarray:
        return arr.take(i, mode="clip")  # past the end reads the last byte: the checks fail there

    out: dict[str, np.ndarray] = {}
    ok = np.ones(o.size, bool)
    out["has_wall"], out["wall"] = at(o) == 0x09, o + 1
    p = o + 9 * out["has_wall"]
    has_step = at(p) == 0x10
    step, size, good = _varint(at, p + 1, has_step, 10)
    ok &= good
    out["step"] = step.view(np.int64)
    p = p + has_step * (1 + size)
    for key in (0x2A, 0x0A):  # summary, its one value: each runs to the record's end
        has, p, n, ok = _field(at, p, ok, key)
        ok &= has & (p + n == end)
    has, out["tag"], out["tag_len"], ok = _field(at, p, ok, 0x0A)
    ok &= has
    has, p, n, ok = _field(at, out["tag"] + out["tag_len"], ok, 0x2A)  # histo
    ok &= has & (p + n == end)
    for key, name in zip(_HISTO_DOUBLES, ("min", "max", None, None, None)):
        has = at(p) == key
        if name:
            out["has_" + name], out[name] = has, p + 1
        p = p + 9 * has
    for name, key in (("limits", 0x32), ("buckets", 0x3A)):  # packed doubles
        has, start, n, ok = _field(at, p, ok, key)
        out[name] = start
        out["n_" + name] = np.where(has, n, 0)
        p = np.where(has, start + n, p)
    ok &= (p == end) & (out["n_limits"] % 8 == 0) & (out["n_limits"] == out["n_buckets"])
    out["n"] = out.pop("n_buckets") // 8
    del out["n_limits"]
    out["ok"] = ok
    return out


def _extent(f8: np.ndarray, bucket_at: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first non-empty bucket, rows) of each record: `histo_rows` keeps the buckets from the
    first to the last with a count > 0 (none when there is none). torch's writer fills its last
    bucket and one of its first two: those records are settled from three counts each; the
    others have every count looked at."""
    last = np.maximum(n - 1, 0)
    at = np.where(n > 0, bucket_at, 0)  # a record without buckets has no offset to read at
    c0, c1, cl = (f8[at + 8 * np.minimum(k, last)] > 0 for k in (0, 1, last))
    easy = (n > 0) & cl & (c0 | c1)
    first = np.where(c0, 0, 1)
    rows = np.where(easy, n - first, 0)
    hard = np.flatnonzero(~easy & (n > 0))
    if hard.size:
        first[hard], rows[hard] = _scan(f8, bucket_at[hard], n[hard])
    return first, rows


def _scan(f8: np.ndarray, bucket_at: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_extent` by looking at every count: a running count of the non-empty buckets, searched."""
    first = np.zeros(n.size, np.int64)
    rows = np.zeros(n.size, np.int64)
    ends = np.cumsum(n)
    for a, b in _chunks(ends):
        nb = n[a:b]
        base = ends[a - 1] if a else 0
        seg = ends[a:b] - nb - base  # each record's first bucket, chunk-local
        idx = np.repeat(bucket_at[a:b] - 8 * seg, nb)
        idx += np.arange(0, 8 * idx.size, 8)
        filled = np.empty(idx.size + 1, np.int64)  # filled[i + 1]: non-empty buckets up to bucket i
        filled[0] = 0
        np.cumsum(f8[idx] > 0, out=filled[1:])
        before, upto = filled[seg], filled[seg + nb]
        has = upto > before
        top = np.searchsorted(filled, upto, "left") - 1  # where the last non-empty bucket was counted
        low = np.searchsorted(filled, before + 1, "left") - 1
        first[a:b] = np.where(has, low - seg, 0)
        rows[a:b] = np.where(has, top - low + 1, 0)
    return first, rows


def _chunks(ends: np.ndarray):
    """(a, b) record ranges whose buckets number about CHUNK (one record may hold more)."""
    a = 0
    while a < ends.size:
        base = ends[a - 1] if a else 0
        b = max(int(np.searchsorted(ends, base + CHUNK, side="right")), a + 1)
        yield a, b
        a = b
