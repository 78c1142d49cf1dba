"""One file's histogram rows (one row per bucket): the bulk decoder's (`histograms_decode`) and
the protobuf path's (`summaries.Slow`) merged in file order, tags numbered as first seen.

Memory and time: a histogram-heavy file is mostly these rows (25 M rows, 1.1 GB, for 200 tags x
2,000 steps), so they are written once, where they stay. A batch only notes what the bulk decoder
found (80 bytes per histogram with rows; the buckets stay in the file's bytes); `result` then
knows how many rows there are, allocates each column once at that size (`_fresh`) and writes
them. Growing arrays instead zero-filled every new page before it was written (0.4 s of 2.9).
A batch that needed the protobuf path is put in order when read and held as one piece, freed as
soon as `result` copied it.
"""
from __future__ import annotations

import mmap

import numpy as np

from diagnostics.histograms_decode import FastHists

KEYS = ("id", "step", "wall_time", "left", "right", "count")
_DTYPES = (np.int32, np.int64, np.float64, np.float64, np.float64, np.float64)


class HistColumns:
    """Rows added batch by batch (`add`), handed to `FileEvents` once (`result`)."""

    def __init__(self) -> None:
        self.tags: dict[str, int] = {}
        self.pieces: list[tuple[FastHists, np.ndarray] | tuple[dict[str, np.ndarray], np.ndarray]] = []
        self.size = 0

    def add(self, fast: FastHists, slow: list[tuple[int, str, int, float, np.ndarray]], base: int) -> None:
        """`slow`: (record, tag, step, wall_time, k x 3 rows) from `Slow.take_hists`; the file's
        record numbers, `base` + the batch's."""
        if not fast.recs.size and not slow:
            return
        table: dict[str, int] = {name: i for i, name in enumerate(fast.names)}
        slow_tags = np.fromiter((table.setdefault(h[1], len(table)) for h in slow), np.int64, len(slow))
        order = None
        if slow and fast.recs.size:  # both paths: the histograms in file order (a record's in its order)
            order = np.argsort(np.concatenate([fast.recs + base, [h[0] for h in slow]]), kind="stable")
        local = np.concatenate([fast.tag, slow_tags])
        codes = self._codes(local if order is None else local[order], list(table))
        if not slow:
            self.pieces.append((fast.nonempty(), codes))  # written by `result`, straight from the file's bytes
            self.size += int(fast.rows.sum())
            return
        self.pieces.append(self._merged(fast, slow, order, codes))
        self.size += self.pieces[-1][0]["id"].size

    def _codes(self, local: np.ndarray, names: list[str]) -> np.ndarray:
        """File-wide ids of a batch's tags (`names`), numbering new ones in the order `local` meets them."""
        _, seen = np.unique(local, return_index=True)
        codes = np.zeros(len(names), np.int32)
        for k in local[np.sort(seen)].tolist():
            codes[k] = self.tags.setdefault(names[k], len(self.tags))
        return codes

    def _merged(self, fast: FastHists, slow, order: np.ndarray | None, codes: np.ndarray):
        """A batch with histograms the protobuf path read: (its rows in order, rows per histogram)."""
        total = int(fast.rows.sum())
        part = {k: np.empty(total, d) for k, d in zip(KEYS, _DTYPES)}
        fast.write(part, 0, codes)
        sizes = np.fromiter((h[4].shape[0] for h in slow), np.int64, len(slow))
        stacked = np.concatenate([h[4] for h in slow]) if sizes.sum() else np.zeros((0, 3))
        ids = np.asarray([self.tags[h[1]] for h in slow], np.int32)
        slow_cols = {"id": np.repeat(ids, sizes),
                     "step": np.repeat(np.fromiter((h[2] for h in slow), np.int64, len(slow)), sizes),
                     "wall_time": np.repeat(np.fromiter((h[3] for h in slow), np.float64, len(slow)), sizes),
                     "left": stacked[:, 0], "right": stacked[:, 1], "count": stacked[:, 2]}
        sizes = np.concatenate([fast.rows, sizes])
        rows = None if order is None else _block_index(sizes, order)
        cols = {}
        for key in KEYS:
            col = np.concatenate([part.pop(key), slow_cols.pop(key)])
            cols[key] = col if rows is None else col[rows]
        return cols, (sizes if order is None else sizes[order])

    def result(self) -> dict:
        """{"hist_tags", "hist", "hist_heads"} for `FileEvents`, or {} when the file held no histogram."""
        if not self.tags:
            return {}
        dtypes = dict(zip(KEYS, _DTYPES), id=_code_dtype(len(self.tags)))
        cols = {k: _fresh(self.size, d) for k, d in dtypes.items()}
        heads, at = [], 0
        self.pieces.reverse()
        while self.pieces:  # each piece freed once copied: the peak is the columns and one piece
            piece, per_record = self.pieces.pop()
            if isinstance(piece, FastHists):
                piece.write(cols, at, per_record)
                per_record = piece.rows
            else:
                for key in KEYS:
                    cols[key][at : at + piece[key].size] = piece[key]
            starts = at + np.cumsum(per_record) - per_record
            heads.append(starts[per_record > 0])
            at += int(per_record.sum())
        return {"hist_tags": tuple(self.tags), "hist": cols, "hist_heads": np.concatenate(heads)}


def _code_dtype(tags: int):
    """The narrowest ids pandas keeps as a categorical's codes for this many categories (its
    `coerce_indexer_dtype`): the frame then takes the ids as they are, not a copy (25 M rows: 0.1 s)."""
    return np.int8 if tags < 127 else np.int16 if tags < 32_767 else np.int32


def _fresh(size: int, dtype) -> np.ndarray:
    """An uninitialised array whose pages the kernel maps in one call (MAP_POPULATE) rather than one
    fault per 4 KiB page as they are first written: 0.45 s CPU instead of 0.75 s for 1.1 GB.
    (Huge pages, what `np.empty` asks for, cost seconds of kernel compaction on a busy machine.)"""
    nbytes = size * np.dtype(dtype).itemsize
    if nbytes < 1 << 22 or not hasattr(mmap, "MAP_POPULATE"):  # small, or not Linux
        return np.empty(size, dtype)
    pages = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
    return np.frombuffer(pages, dtype, size)  # keeps `pages` mapped as long as it lives


def _block_index(sizes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Row indices that put blocks of `sizes` rows into `order`."""
    starts = np.cumsum(sizes) - sizes
    moved = sizes[order]
    return np.arange(int(moved.sum())) - np.repeat(np.cumsum(moved) - moved - starts[order], moved)
