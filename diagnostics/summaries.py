"""Event records -> rows: the numpy decoder for `add_scalar` records and the protobuf path for
the rest (TF2 tensors, TF1 histograms, hparams). Used by `records.decode` batch by batch.

Nothing a record claims is allocated before it is checked against what the record holds: a
tensor's shape must be a shape (no negative dimensions) and its element count must match its
values -- except the proto fill rule (one value standing for all), which expands at most
`MAX_FILL` elements per tensor and `FILL_BUDGET` per file. A summary value that breaks a rule
(a histogram with more buckets than bucket limits, a shape that claims more than it holds) is
counted and skipped; the rest of the record and the file are kept.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

from diagnostics.messages import Msg

MAX_FILL = 3 * 1024  # elements one repeated value may stand for (a 1,024-bucket histogram)
FILL_BUDGET = 1_000_000  # elements the fill rule may add up to in one file
_MAX_RANK = 8
_FEW = 2048  # rows below which tags are interned row by row


def fast_scalars(arr: np.ndarray, o: np.ndarray, lens: np.ndarray):
    """Decode, all at once, the records that are exactly
    Event{wall_time, step?, summary{value{tag, simple_value}}} (what add_scalar writes).

    Returns (mask, tag start, tag length, step, value, wall_time) with columns for mask rows.
    The layout is verified byte by byte: every length must add up to the record's end."""
    n = arr.size
    end = o + lens

    def at(i: np.ndarray) -> np.ndarray:
        return arr[np.minimum(i, n - 1)]

    ok = (lens >= 19) & (at(o) == 0x09)
    p = o + 9
    has_step = at(p) == 0x10
    step = np.zeros(o.size, np.uint64)
    vlen = np.zeros(o.size, np.int64)
    cont = has_step.copy()
    for k in range(10):  # varint, at most 10 bytes
        if not cont.any():
            break
        b = at(p + 1 + k).astype(np.uint64)
        step |= np.where(cont, (b & np.uint64(0x7F)) << np.uint64(7 * k), np.uint64(0))
        vlen += cont
        cont &= b >= 0x80
    ok &= ~cont
    q = np.where(has_step, p + 1 + vlen, p)
    slen = at(q + 1).astype(np.int64)
    tlen = at(q + 5).astype(np.int64)
    ok &= (at(q) == 0x2A) & (at(q + 2) == 0x0A) & (at(q + 4) == 0x0A)
    ok &= (slen < 128) & (at(q + 3).astype(np.int64) == slen - 2) & (tlen == slen - 9)
    ok &= q + 2 + slen == end
    ok &= at(q + 6 + tlen) == 0x15
    wall = arr[(o[ok] + 1)[:, None] + np.arange(8)].view("<f8").ravel()
    value = arr[(q[ok] + 7 + tlen[ok])[:, None] + np.arange(4)].view("<f4").ravel()
    return ok, q[ok] + 6, tlen[ok], step[ok].view(np.int64), value.astype(np.float64), wall


def intern_tags(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray):
    """Tag ids for byte spans, without a Python loop per row: spans are hashed per length
    group, then each row is compared with its group's representative (so a hash collision
    or bad UTF-8 only sends that row to the slow path). Returns (names, ids, ok)."""
    ids = np.full(starts.size, -1, np.int32)
    names: list[str] = []
    if starts.size <= _FEW:  # a small file: one dict lookup a row beats the numpy set-up
        index: dict[bytes, int] = {}
        for row, (s, n) in enumerate(zip(starts.tolist(), lens.tolist())):
            raw = arr[s : s + n].tobytes()
            k = index.get(raw)
            if k is None:
                try:
                    names.append(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    continue
                k = index[raw] = len(names) - 1
            ids[row] = k
        return names, ids, ids >= 0
    for length in np.unique(lens).tolist():
        rows = np.flatnonzero(lens == length)
        # the spans' bytes, copied once (uint8), not through an index matrix eight times its size
        mat = sliding_window_view(arr, length)[starts[rows]] if length else np.zeros((rows.size, 0), np.uint8)
        h = np.zeros(rows.size, np.uint64)
        for j in range(length):
            h = h * np.uint64(1_000_003) + mat[:, j]
        _, first, inv = np.unique(h, return_index=True, return_inverse=True)
        same = (mat == mat[first][inv]).all(axis=1)
        local = np.full(first.size, -1, np.int64)
        for k, f in enumerate(first.tolist()):
            try:
                name = bytes(mat[f]).decode("utf-8")
            except UnicodeDecodeError:
                continue
            local[k] = len(names)
            names.append(name)
        gid = local[inv.ravel()]
        good = same & (gid >= 0)
        ids[rows[good]] = gid[good]
    return names, ids, ids >= 0


_DTYPES = {1: "<f4", 2: "<f8", 19: "<f2", 3: "<i4", 9: "<i8", 4: "u1", 5: "<i2", 6: "i1",
           17: "<u2", 22: "<u4", 23: "<u8", 10: "?"}
_VAL_FIELDS = {1: "float_val", 2: "double_val", 9: "int64_val", 23: "uint64_val", 22: "uint32_val",
               10: "bool_val"}


class Malformed(ValueError):
    """A summary value that breaks the format's rules; the message says which, in one line."""


def tensor_array(t, fill_left: int = MAX_FILL) -> tuple[np.ndarray | None, int]:
    """(a TensorProto's numbers as float64 -- None for strings and unknown dtypes --, elements
    the fill rule added). Raises
    Malformed for a shape that is not one or that claims more elements than are there (the
    fill rule -- one value repeated -- is honoured up to min(MAX_FILL, fill_left) elements)."""
    dtype = _DTYPES.get(t.dtype)
    if dtype is None:
        return None, 0
    dims = [d.size for d in t.tensor_shape.dim]
    if len(dims) > _MAX_RANK or any(d < 0 for d in dims):
        raise Malformed(f"tensor shape {dims[:_MAX_RANK + 1]} is not a shape")
    size = math.prod(dims)  # an exact int: no overflow, no allocation
    if t.tensor_content:
        if len(t.tensor_content) % np.dtype(dtype).itemsize:
            raise Malformed(f"tensor content of {len(t.tensor_content)} bytes is not whole {dtype} values")
        arr = np.frombuffer(t.tensor_content, dtype)
    elif t.dtype == 19:
        arr = np.asarray(t.half_val, np.uint16).view("<f2")
    else:
        arr = np.asarray(getattr(t, _VAL_FIELDS.get(t.dtype, "int_val")), dtype)
    filled = 0
    if arr.size != size:
        if not (arr.size == 1 and 1 < size <= min(MAX_FILL, fill_left)):
            raise Malformed(f"tensor shape claims {size} elements, holds {arr.size}")
        arr, filled = np.full(size, arr[0]), size  # proto fill rule: a single value repeats
    return arr.astype(np.float64).reshape(dims), filled


def histo_rows(h) -> np.ndarray:
    """HistogramProto -> k x 3 (left, right, count), as TensorBoard's data_compat migrates it:
    empty end buckets dropped, outer edges taken from min and max."""
    if len(h.bucket) != len(h.bucket_limit):
        raise Malformed(f"histogram has {len(h.bucket)} buckets but {len(h.bucket_limit)} bucket limits")
    counts = np.asarray(h.bucket, np.float64)
    nz = np.flatnonzero(counts > 0)
    if nz.size == 0:
        return np.zeros((0, 3))
    start, stop = int(nz[0]), int(nz[-1])
    inner = np.asarray(h.bucket_limit, np.float64)[start:stop]
    left = np.concatenate([[h.min], inner])
    right = np.concatenate([inner, [h.max]])
    return np.column_stack([left, right, counts[start : stop + 1]])


def _hparams(content: bytes) -> dict[str, Any] | None:
    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return None
    out: dict[str, Any] = {}
    for key, val in data.session_start_info.hparams.items():
        kind = val.WhichOneof("kind")
        out[key] = None if kind in (None, "null_value") else getattr(val, kind)
    return out


def quote(text: str, limit: int = 60) -> str:
    """`text` for a one-line message: quoted, cut to `limit`, unprintable characters escaped."""
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return repr(shown + ("…" if len(text) > limit else ""))


class Slow:
    """Row collector for records that need the full protobuf decoder. Rows wait in lists until
    `take_*` hands them on (once per batch); the file-wide facts stay."""

    def __init__(self, tag_plugins: dict[str, str] | None = None) -> None:
        self.scalars: list[tuple[int, str, int, float, float]] = []  # rec, tag, step, value, wall
        self.hists: list[tuple[int, str, int, float, np.ndarray]] = []  # rec, tag, step, wall, rows
        self.plugins: set[str] = set()
        self.kinds: set[str] = set()
        self.tag_plugin: dict[str, str] = dict(tag_plugins or {})  # TF2 writes a tag's metadata once
        self.named_at: dict[str, int] = {}  # the record that named a tag's plugin (not for tag_plugins given)
        self.source = ""
        self.headers = 0
        self.first: tuple[int, int] | None = None  # (record, step) of the first real event
        self.hparams: dict[str, Any] | None = None
        self.undecodable = 0
        self.malformed = 0
        self.first_malformed = ""
        self.fill_left = FILL_BUDGET

    def add(self, rec: int, data: bytes) -> None:
        try:
            ev = event_pb2.Event.FromString(data)
        except Exception:  # noqa: BLE001 - protobuf raises DecodeError/RuntimeError variants
            self.undecodable += 1
            return
        kind = ev.WhichOneof("what")
        if ev.source_metadata.writer and not self.source:
            self.source = ev.source_metadata.writer[:200]
        if kind == "file_version":
            self.headers += 1
            return
        if kind:
            self.kinds.add(kind)
        if self.first is None:
            self.first = (rec, ev.step)
        if kind == "summary":
            for v in ev.summary.value:
                try:
                    self._value(rec, ev.step, ev.wall_time, v)
                except (Malformed, ValueError, TypeError, OverflowError, IndexError) as err:
                    self.malformed += 1
                    if not self.first_malformed:
                        why = str(err) if isinstance(err, Malformed) else f"{type(err).__name__}"
                        self.first_malformed = f"{quote(v.tag)}: {why}"

    def _value(self, rec: int, step: int, wall: float, v) -> None:
        which = v.WhichOneof("value")
        plugin = v.metadata.plugin_data.plugin_name
        if plugin:
            self.name(v.tag, plugin, rec)
        else:
            plugin = self.tag_plugin.get(v.tag, "")
        if which == "simple_value":
            self.scalars.append((rec, v.tag, step, v.simple_value, wall))
        elif which == "histo":
            self.plugins.add("histograms")
            self.hists.append((rec, v.tag, step, wall, histo_rows(v.histo)))
        elif which == "tensor" and plugin in ("scalars", "histograms"):
            arr, filled = tensor_array(v.tensor, self.fill_left if plugin == "histograms" else 1)
            if arr is None:
                return
            self.fill_left -= filled
            if plugin == "scalars" and arr.size == 1:
                self.scalars.append((rec, v.tag, step, float(arr.ravel()[0]), wall))
            elif plugin == "histograms" and arr.ndim == 2 and arr.shape[1] == 3:
                self.hists.append((rec, v.tag, step, wall, arr))
        elif which in ("image", "audio"):
            plugin = plugin or {"image": "images", "audio": "audio"}[which]
        if plugin == "hparams" and self.hparams is None:
            with contextlib.suppress(Exception):  # a broken hparams blob is not worth the file
                self.hparams = _hparams(v.metadata.plugin_data.content)
        if plugin:
            self.plugins.add(plugin)

    def name(self, tag: str, plugin: str, rec: int) -> None:
        """Record `tag`'s plugin, named in record `rec`: the first name a tag gets is its own."""
        if tag not in self.tag_plugin:
            self.tag_plugin[tag] = plugin
            self.named_at[tag] = rec

    def take_scalars(self) -> list[tuple[int, str, int, float, float]]:
        rows, self.scalars = self.scalars, []
        return rows

    def take_hists(self) -> list[tuple[int, str, int, float, np.ndarray]]:
        rows, self.hists = self.hists, []
        return rows

    def problems(self) -> list[str]:
        out = []
        if self.undecodable:
            out.append(Msg("file.not_events", n=self.undecodable))
        if self.malformed:
            out.append(Msg("file.malformed_values", n=self.malformed, what=self.first_malformed))
        return out
