"""TF2 tensor scalars decoded in bulk: the numpy path for what Keras, `tf.summary.scalar`,
TensorBoard's own `Writer` and torch's `add_scalar(..., new_style=True)` write, beside
`summaries.fast_scalars` (the `simple_value` records of torch's plain `add_scalar`).

A record is taken only when it is exactly one of these layouts, checked byte by byte so that
every length adds up to the record's end (field numbers in brackets):

    Event{wall_time[1], step[2]?, summary[5]{value[1]{tag[1], tensor[8]{dtype[1] = float|double,
          tensor_shape[2] = {}?, one value: tensor_content[4] | float_val[5] | double_val[6]},
          metadata[9]{plugin_data[1]{plugin_name[1] = "scalars", content[2]?}, data_class[4]?}?}}}

Anything else goes to the protobuf path (`summaries.Slow`) unchanged.

TF2 names a tag's plugin once, in the metadata of its first write. A tensor without metadata is
a scalar only when its tag's plugin was named "scalars" before it in the file (the rule of
`Slow._value`): `Bulk` names the plugins of the rows it holds in file order between the records
the protobuf path decodes, then keeps a bare tensor when its tag was known to be a scalar by
then. A bare tensor of a tag named with another plugin is handed to the protobuf path, which
gives it the same meaning; one whose tag was not named yet stays no row, as it would there.

Hostile input: a fixed number of numpy passes over each batch; nothing allocated from a size a
record claims (lengths are at most two varint bytes and only ever compared); tags of 128 bytes
or more go the protobuf way, which bounds the cost of interning them.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from diagnostics.summaries import Slow, fast_scalars, intern_tags

_PLUGIN_NAME = np.frombuffer(b"\x0a\x07scalars", np.uint8)  # plugin_name[1] = "scalars"
_TENSOR_CONTENT = 0x22  # field 4, bytes
_PACKED = {4: 0x2A, 8: 0x32}  # float_val[5], double_val[6], packed
_SINGLE = {4: 0x2D, 8: 0x31}  # the same fields, one unpacked fixed32 / fixed64
_CHUNK = 16_384  # records parsed at once: the temporaries stay in the CPU cache (~2x faster)
# Longer records are not looked at here (the protobuf path reads them, to the same rows): one
# scalar with a tag under 128 bytes takes < 200 bytes, unless its metadata carries `content`,
# which the scalars plugin leaves empty. A histogram of 64 buckets takes 1 KB: not parsed twice.
_LONGEST = 512


class _Bytes:
    """Reads one byte at each of many positions; a position past the end reads the last byte,
    so that a check on garbage fails without an index error."""

    def __init__(self, arr: np.ndarray) -> None:
        self.arr = arr

    def __call__(self, pos: np.ndarray) -> np.ndarray:
        return np.take(self.arr, pos, mode="clip")

    def window(self, pos: np.ndarray, width: int) -> np.ndarray:
        """The `width` bytes from each position, one row each."""
        if self.arr.size < width:
            return np.zeros((pos.size, width), np.uint8)
        return sliding_window_view(self.arr, width)[np.clip(pos, 0, self.arr.size - width)]

    def varint(self, pos: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(value as uint64, bytes it takes, complete within `width` bytes) at each position."""
        value = np.zeros(pos.size, np.uint64)
        used = np.zeros(pos.size, np.int64)
        more = np.ones(pos.size, bool)
        for k in range(width):
            byte = self(pos + k).astype(np.uint64)
            value |= np.where(more, (byte & np.uint64(0x7F)) << np.uint64(7 * k), np.uint64(0))
            used += more
            more &= byte >= 0x80
            if not more.any():
                break
        return value, used, ~more

    def field(self, pos: np.ndarray, key: int, short: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A length-delimited field `key` at each position, its length in one varint byte
        (`short`) or two: (matches, where its bytes start, where they end)."""
        low = self(pos + 1).astype(np.int64)
        if short:
            return (self(pos) == key) & (low < 0x80), pos + 2, pos + 2 + low
        high = self(pos + 2).astype(np.int64)
        two = low >= 0x80
        start = pos + 2 + two
        size = np.where(two, (low & 0x7F) | (high << 7), low)
        return (self(pos) == key) & (~two | (high < 0x80)), start, start + size


def _tensor(at: _Bytes, pos: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tensor field of a Summary.Value at `pos`: (is one float or double, where its value
    starts, its width in bytes); the field must end exactly at `end`."""
    ok, p, stop = at.field(pos, 0x42, short=True)
    dtype = at(p + 1)
    width = np.where(dtype == 2, 8, 4)
    ok &= (at(p) == 0x08) & ((dtype == 1) | (dtype == 2)) & (stop <= end)
    p = p + 2
    p = np.where((at(p) == 0x12) & (at(p + 1) == 0), p + 2, p)  # an empty tensor_shape: rank 0
    key, size = at(p), at(p + 1)
    delimited = (size == width) & ((key == _TENSOR_CONTENT) | (key == np.where(width == 8, _PACKED[8], _PACKED[4])))
    single = key == np.where(width == 8, _SINGLE[8], _SINGLE[4])
    value = np.where(delimited, p + 2, p + 1)
    ok &= (delimited | single) & (value + width == stop)
    return ok, value, width


def _scalars_metadata(at: _Bytes, pos: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the bytes from `pos` to `end` are no metadata or exactly the "scalars" plugin's, there
    is metadata). Its `content` is skipped (the scalars plugin keeps nothing there) and
    data_class must be one varint byte."""
    ok, p, stop = at.field(pos, 0x4A)
    ok &= stop == end
    named, p, data_end = at.field(p, 0x0A)
    ok &= named & (data_end <= stop)
    ok &= (at.window(p, _PLUGIN_NAME.size) == _PLUGIN_NAME).all(axis=1)
    p = p + _PLUGIN_NAME.size
    has_content, _, content_end = at.field(p, 0x12)
    p = np.where(has_content & (p < data_end), content_end, p)
    ok &= p == data_end
    has_class = (at(p) == 0x20) & (at(p + 1) < 0x80) & (p < stop)
    p = np.where(has_class, p + 2, p)
    ok &= p == stop
    present = pos < end
    return (pos == end) | (present & ok), present


def parse(arr: np.ndarray, o: np.ndarray, lens: np.ndarray):
    """The records of a batch (data starts `o`, lengths `lens`) that are one TF2 scalar each.

    Returns (mask, tag start, tag length, step, value, wall_time, named) with columns for the
    mask's rows; `named`: the record carries the scalars metadata."""
    parts = [_parse(_Bytes(arr), o[i : i + _CHUNK], lens[i : i + _CHUNK]) for i in range(0, max(o.size, 1), _CHUNK)]
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate(col) for col in zip(*parts))


def _parse(at: _Bytes, o: np.ndarray, lens: np.ndarray):
    end = o + lens
    ok = (lens >= 19) & (at(o) == 0x09)
    p = o + 9
    has_step = at(p) == 0x10
    step, used, whole = at.varint(p + 1, 10)
    ok &= whole | ~has_step
    step = np.where(has_step, step, np.uint64(0))
    p = np.where(has_step, p + 1 + used, p)
    is_summary, p, stop = at.field(p, 0x2A)
    ok &= is_summary & (stop == end)
    is_value, p, stop = at.field(p, 0x0A)
    ok &= is_value & (stop == end)
    has_tag, tag, tag_end = at.field(p, 0x0A, short=True)  # tags under 128 bytes
    ok &= has_tag & (at(tag_end) == 0x42)  # a tensor follows the tag (a histogram's histo: 0x2A)
    # The rest only where that holds: in a histogram-heavy file, next to none of the records.
    rows = np.flatnonzero(ok)
    o, end, tag, tag_end = o[rows], end[rows], tag[rows], tag_end[rows]
    is_tensor, value, width = _tensor(at, tag_end, end)
    meta_ok, named = _scalars_metadata(at, value + width, end)
    keep = is_tensor & meta_ok
    ok[rows] = keep
    rows, o = rows[keep], o[keep]
    wall = at.window(o + 1, 8).view("<f8").ravel()
    return ok, tag[keep], (tag_end - tag)[keep], step[rows].view(np.int64), _values(at, value[keep], width[keep]), \
        wall, named[keep]


def _values(at: _Bytes, pos: np.ndarray, width: np.ndarray) -> np.ndarray:
    out = np.empty(pos.size, np.float64)
    for size, dtype in ((4, "<f4"), (8, "<f8")):
        rows = width == size
        out[rows] = at.window(pos[rows], size).view(dtype).ravel()
    return out


def _simple(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """`fast_scalars` over the records that end as a simple_value does (its key, then four
    bytes): a TF2 file's records are not looked at twice."""
    maybe = np.flatnonzero(np.take(arr, starts + lens - 5, mode="clip") == 0x15)
    found, *cols = fast_scalars(arr, starts[maybe], lens[maybe])
    mask = np.zeros(starts.size, bool)
    mask[maybe[found]] = True
    return mask, cols


class Bulk:
    """The scalar rows of one batch of records that numpy decodes: `add_scalar`'s simple values
    and TF2 tensors, in file order. `taken` marks their records; the protobuf path decodes the
    rest (see `slow_order`) and `rows` then gives what they hold."""

    def __init__(self, arr: np.ndarray, starts: np.ndarray, lens: np.ndarray, base: int) -> None:
        self.base = base  # the file-wide number of the batch's first record
        simple, simple_cols = _simple(arr, starts, lens)
        others = np.flatnonzero(~simple & (lens <= _LONGEST))
        tensor, *tensor_cols, named = parse(arr, starts[others], lens[others])
        rec = np.concatenate([np.flatnonzero(simple), others[tensor]])
        mixed = simple.any() and tensor.any()  # else `rec` is in file order already
        order = np.argsort(rec, kind="stable") if mixed else np.arange(rec.size)
        cols = [np.concatenate([a, b])[order] for a, b in zip(simple_cols, tensor_cols)]
        no_tensor = np.zeros(int(simple.sum()), bool)
        names, ids, interned = intern_tags(arr, cols[0], cols[1])
        keep = order[interned]  # a tag that is no UTF-8 (or collides): the protobuf path
        self.rec = rec[keep]
        self.names, self.ids = names, ids[interned]
        self.steps, self.values, self.walls = (c[interned] for c in cols[2:])
        self.bare = np.concatenate([no_tensor, ~named])[keep]  # a tensor without metadata
        self.named = np.concatenate([no_tensor, named])[keep]  # one with the scalars metadata
        self.taken = np.zeros(starts.size, bool)
        self.taken[self.rec] = True
        # (record, step) of the first record taken, rows or not
        self.first = (base + int(self.rec[0]), int(self.steps[0])) if self.rec.size else None

    def slow_order(self, slow: Slow, rest: np.ndarray) -> Iterator[int]:
        """The records for `slow` to decode, in turn: `rest`, in file order, with the plugin
        names this batch's scalar metadata gives its tags told to `slow` in between (what it
        knows of a tag is then what it would know had it decoded every record itself); then
        the bare tensors of tags named with another plugin (see `_settle`)."""
        namings = self._namings()
        i = 0
        for rec in rest.tolist():
            while i < len(namings) and namings[i][0] < rec:
                slow.name(self.names[namings[i][1]], "scalars", self.base + namings[i][0])
                i += 1
            yield rec
        for rec, tag in namings[i:]:
            slow.name(self.names[tag], "scalars", self.base + rec)
        yield from self._settle(slow)

    def _namings(self) -> list[tuple[int, int]]:
        """(record, tag id) of each tag's first record that carries the scalars metadata."""
        ids = self.ids[self.named]
        first = np.full(len(self.names), ids.size)
        np.minimum.at(first, ids, np.arange(ids.size))
        first = np.sort(first[first < ids.size])
        return list(zip(self.rec[self.named][first].tolist(), ids[first].tolist()))

    def _settle(self, slow: Slow) -> list[int]:
        """Decide the tensors without metadata now that every plugin name before them is known
        (once `slow` decoded the rest): a tag named "scalars" earlier keeps its row; one
        named otherwise earlier is returned, for the protobuf path to decode; the others
        (nothing named yet) are no rows, as the protobuf path would have it."""
        if not self.names:
            return []
        never = np.iinfo(np.int64).max
        named_at = np.asarray([slow.named_at.get(t, -1) if t in slow.tag_plugin else never for t in self.names])
        scalar = np.asarray([slow.tag_plugin.get(t) == "scalars" for t in self.names])
        known = named_at[self.ids] < self.base + self.rec
        keep = ~self.bare | (known & scalar[self.ids])
        other = self.bare & known & ~scalar[self.ids]
        late = self.rec[other].tolist()
        self.rec, self.ids = self.rec[keep], self.ids[keep]
        self.steps, self.values, self.walls = self.steps[keep], self.values[keep], self.walls[keep]
        return late

    def rows(self) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(records, tags, tag ids into them, steps, values, wall times) of the scalar rows kept."""
        used = np.bincount(self.ids, minlength=len(self.names)) > 0  # tags of bare tensors may be gone
        renumber = (np.cumsum(used) - 1).astype(np.int32)
        return (self.rec, [t for t, u in zip(self.names, used.tolist()) if u], renumber[self.ids],
                self.steps, self.values, self.walls)
