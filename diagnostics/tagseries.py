"""A run's frames split by tag once, and each tag's step-indexed series built once: what
`RunData.original`, `RunData.histogram` and the point counts read.

Filtering a frame by tag costs a pass over every row, which rules asking for ~20 series per
run, or 200 histogram tags, paid once per question. Here the tag codes are sorted once (a
stable sort: each tag's rows stay in file order) and every later question is a slice.

A `TagSeries` belongs to the frames it was built from (`built_for`): `RunData` copies made
with `dataclasses.replace` (`with_mapping`) share it while their frames are the same objects.
Concurrent readers (Streamlit's threads) are safe: splitting runs under a lock, and a series
built twice by two threads is the same series (the dict keeps one). The series handed out are
shared: their arrays are read-only.
"""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd


def _codes(tags: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer tag codes (-1: no tag) and the tag names they stand for (a list to read, not change)."""
    if isinstance(tags.dtype, pd.CategoricalDtype):
        return tags.array.codes, _names(tags.dtype.categories)
    codes, names = pd.factorize(tags.to_numpy(), use_na_sentinel=True)
    return codes, [str(n) for n in names]


_NAMES: dict[int, tuple[pd.Index, list[str]]] = {}  # id(categories) -> (categories, their names)


def _names(categories: pd.Index) -> list[str]:
    """The names of a categorical's categories, remembered per categories object: the runs of a
    logdir that log the same tags share one (`assemble._categories`), and listing an Index of
    strings costs ~30 us, a tenth of a small run's tag tables."""
    known = _NAMES.get(id(categories))
    if known is not None and known[0] is categories:
        return known[1]
    names = [str(c) for c in categories]
    if len(_NAMES) >= 1024:
        _NAMES.clear()
    _NAMES[id(categories)] = (categories, names)
    return names


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality where NaN equals NaN (as pandas' drop_duplicates takes it)."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _changes(code: np.ndarray, step: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """Rows whose (tag, step, wall time) differs from the row before (the first row does)."""
    return np.r_[True, (code[1:] != code[:-1]) | (step[1:] != step[:-1]) | ~_same(wall[1:], wall[:-1])]


class TagIndex:
    """The rows of one frame grouped by tag: each tag's row positions, in file order."""

    def __init__(self, tags: pd.Series):
        codes, names = _codes(tags)
        # Stable, and a radix sort for the usual int8/int16 codes: linear in the rows.
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes[codes >= 0], minlength=len(names)) if len(codes) else \
            np.zeros(len(names), np.int64)
        self.order = order[len(codes) - int(counts.sum()):]  # rows without a tag sort first
        self.bounds = np.concatenate([[0], np.cumsum(counts)])
        self.code = {name: i for i, name in enumerate(names)}
        self.counts = {name: int(n) for name, n in zip(names, counts) if n}

    def positions(self, tag: str) -> np.ndarray:
        i = self.code.get(tag)
        return self.order[self.bounds[i]:self.bounds[i + 1]] if i is not None else self.order[:0]


def _step_series(tag: str, steps: np.ndarray, walls: np.ndarray, values: np.ndarray,
                 index_of=None) -> pd.Series:
    """One tag's rows (file order) as `RunData.original` documents it: sorted by wall time
    (stable), the last write of a step wins, sorted by step. `index_of(steps)`: the step index
    (by default a new one)."""
    in_order = len(steps) < 2 or (bool((steps[1:] > steps[:-1]).all())
                                  and bool((walls[1:] >= walls[:-1]).all()))
    if not in_order:  # a resumed or restarted run re-logged steps, or clocks went back
        by_time = np.argsort(walls, kind="stable")  # NaN last, as pandas' sort_values
        steps, values = steps[by_time], values[by_time]
        # np.unique on the reversed steps: each step's LAST write, in order of step
        _, first_from_end = np.unique(steps[::-1], return_index=True)
        last = len(steps) - 1 - first_from_end
        steps, values = steps[last], values[last]
    steps.flags.writeable = values.flags.writeable = False  # shared by every caller
    index = index_of(steps) if index_of else pd.Index(steps, name="step", copy=False)
    return pd.Series(values, index=index, name=tag, copy=False)


class TagSeries:
    """Per-tag views of one run's scalar and histogram frames, built on first use."""

    def __init__(self, scalars: pd.DataFrame, histograms: pd.DataFrame):
        self.scalars, self.histograms = scalars, histograms
        self._lock = threading.Lock()
        self._scalar_index: TagIndex | None = None
        self._scalar_columns: tuple[np.ndarray, np.ndarray, np.ndarray] = ()  # type: ignore[assignment]
        self._hist_index: TagIndex | None = None
        self._hist_tags: frozenset[str] | None = None
        self._step_index: pd.Index | None = None  # the last step index built: tags logged together share it
        # original tag -> its series; (derived tag, parts) and ("scalar", canonical, originals)
        # -> theirs
        self._series: dict = {}

    def built_for(self, scalars: pd.DataFrame, histograms: pd.DataFrame) -> bool:
        return scalars is self.scalars and histograms is self.histograms

    def __reduce__(self):  # pickled (Streamlit's cache) as empty: rebuilt for its frames
        return _unbound, ()

    # ---- scalars ------------------------------------------------------------------------
    def scalar_index(self) -> TagIndex:
        if self._scalar_index is None:
            with self._lock:
                if self._scalar_index is None:
                    frame = self.scalars
                    self._scalar_columns = (frame["step"].to_numpy(np.int64),
                                            frame["wall_time"].to_numpy(np.float64),
                                            frame["value"].to_numpy(np.float64))
                    self._scalar_index = TagIndex(frame["tag"])
        return self._scalar_index

    def rows(self, tag: str) -> int:
        """Rows logged under an original scalar tag (re-logged steps counted each time)."""
        return self.scalar_index().counts.get(tag, 0)

    def series(self, tag: str) -> pd.Series:
        cached = self._series.get(tag)
        if cached is None:
            rows = self.scalar_index().positions(tag)
            steps, walls, values = self._scalar_columns
            cached = self._series.setdefault(tag, _step_series(tag, steps[rows], walls[rows], values[rows],
                                                               self._index_of))
        return cached

    def _index_of(self, steps: np.ndarray) -> pd.Index:
        """A step index for `steps` (read-only): the one built last when it holds the same steps
        (a run's tags are mostly logged at the same steps: an index costs more than the check).
        Indexes are immutable, so series sharing one behave as with equal ones."""
        last = self._step_index
        if last is not None and len(last) == len(steps) and np.array_equal(last.to_numpy(), steps):
            return last
        index = self._step_index = pd.Index(steps, name="step", copy=False)
        return index

    def remembered(self, key, build) -> pd.Series:
        """`build()`'s series, built once per key (derived tags, canonical picks)."""
        cached = self._series.get(key)
        return cached if cached is not None else self._series.setdefault(key, build())

    # ---- histograms ---------------------------------------------------------------------
    def histogram_tags(self) -> frozenset[str]:
        """The histogram tags that have rows (one counting pass, no sort)."""
        if self._hist_tags is None and not len(self.histograms):
            self._hist_tags = frozenset()
        if self._hist_tags is None:
            codes, names = _codes(self.histograms["tag"])
            counts = np.bincount(codes[codes >= 0], minlength=len(names))
            self._hist_tags = frozenset(n for n, c in zip(names, counts) if c)
        return self._hist_tags

    def hist_index(self) -> TagIndex:
        if self._hist_index is None:
            with self._lock:
                if self._hist_index is None:
                    self._hist_index = TagIndex(self.histograms["tag"])
        return self._hist_index

    def histogram(self, tag: str) -> pd.DataFrame:
        """The rows of one histogram tag, in file order (a new frame: cheap to take, and
        not kept, so a run's histograms are not held twice)."""
        return self.histograms.take(self.hist_index().positions(tag))

    def histogram_counts(self) -> dict[str, int]:
        """Histograms per tag: distinct (step, wall_time) pairs among its bucket rows."""
        index = self.hist_index()
        if not len(index.order):
            return {}
        code = np.repeat(np.arange(len(index.bounds) - 1), np.diff(index.bounds))
        step = self.histograms["step"].to_numpy(np.int64)[index.order]
        wall = self.histograms["wall_time"].to_numpy(np.float64)[index.order]
        # a histogram's buckets are consecutive rows: compare only where a new one starts
        new = _changes(code, step, wall)
        code, step, wall = code[new], step[new], wall[new]
        order = np.lexsort((wall, step, code))  # a step re-logged later in the file meets its twin
        code, step, wall = code[order], step[order], wall[order]
        per_code = np.bincount(code[_changes(code, step, wall)], minlength=len(index.bounds) - 1)
        names = sorted(index.code, key=index.code.get)
        return {name: int(n) for name, n in zip(names, per_code) if n}


def _unbound() -> TagSeries:
    return TagSeries(None, None)  # type: ignore[arg-type]  # matches no frames: rebuilt on use
