"""Event-file bytes -> columns: TFRecord framing, CRC checks and `Event` decoding.

The only code in the project that knows the byte format. A record is
`u64 length | u32 masked crc32c(length) | data | u32 masked crc32c(data)` (little-endian);
`data` is a `tensorboard.compat.proto.event_pb2.Event`.

Speed (see benchmarks/reader_speed.py): following the length fields is one tight Python loop;
then the C `google_crc32c` checks each record's data CRC (masking and comparing in numpy).
Records laid out exactly as `SummaryWriter.add_scalar` writes them (wall_time, step, one
simple_value) are decoded all at once in numpy; every other record goes through the compiled
protobuf (`event_pb2`). Both paths keep every event; rows come out in file order.

Damage: a record whose data CRC fails is skipped; a length whose CRC fails makes the reader
search forward for the next intact record (both CRCs must match, so a false hit is ~2**-64);
an incomplete last record is reported as `tail` bytes, for the caller to judge (live or not).
"""
from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

_U64 = struct.Struct("<Q").unpack_from
_U32 = struct.Struct("<I").unpack_from
_crc = google_crc32c.value
_MASK_DELTA = 0xA282EAD8
_RESYNC_CANDIDATES = 200_000  # bounds the search for an intact record in a damaged file
_LFS_MAGIC = b"version https://git-lfs"


class ReaderError(Exception):
    """A file or input the reader refuses; the message is one line: '<file>: <problem>'."""

    def __init__(self, file: str, problem: str):
        self.file, self.problem = file, problem
        super().__init__(f"{file}: {problem}")


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


def _masked(crc: np.ndarray) -> np.ndarray:
    """TFRecord's CRC masking, vectorised (uint64 so the shifts cannot overflow)."""
    crc = crc.astype(np.uint64)
    rotated = (crc >> np.uint64(15)) | (crc << np.uint64(17))
    return (rotated + np.uint64(_MASK_DELTA)) & np.uint64(0xFFFFFFFF)


def _masked1(data: bytes) -> int:
    crc = _crc(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _header_ok(buf: bytes, pos: int) -> bool:
    return pos + 12 <= len(buf) and _masked1(buf[pos : pos + 8]) == _U32(buf, pos + 8)[0]


def _record_ok(buf: bytes, pos: int) -> bool:
    if not _header_ok(buf, pos):
        return False
    end = pos + 12 + _U64(buf, pos)[0]
    return end + 4 <= len(buf) and _masked1(buf[pos + 12 : end]) == _U32(buf, end)[0]


def _resync(buf: bytes, frm: int) -> int | None:
    """The first offset >= frm where an intact record starts. A length < 4 GiB has four zero
    high bytes, so only offsets followed by b'\\0\\0\\0\\0' at +4 are tried."""
    search = frm + 4
    for _ in range(_RESYNC_CANDIDATES):
        hit = buf.find(b"\0\0\0\0", search)
        if hit < 0:
            return None
        if hit - 4 >= frm and _record_ok(buf, hit - 4):
            return hit - 4
        search = hit + 1
    return None


def _walk(buf: bytes, pos: int) -> tuple[list[int], int]:
    """Record heads found by following the length fields from pos (bounds checked only),
    and where the walk stopped. The tightest loop in the reader: CRCs are checked after."""
    n = len(buf)
    heads: list[int] = []
    add = heads.append
    while pos + 16 <= n:
        nxt = pos + 16 + _U64(buf, pos)[0]
        if nxt > n:
            break
        add(pos)
        pos = nxt
    return heads, pos


def _data_crc_ok(buf: bytes, arr8: np.ndarray, heads: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per record: does the masked crc32c of its data match the stored one? (C CRC per record,
    masking and comparing vectorised.) A length CRC is only consulted when this fails: a
    wrong length makes the data CRC fail too (a false match is ~2**-32)."""
    crcs = np.fromiter(
        [_crc(buf[a:b]) for a, b in zip((heads + 12).tolist(), ends.tolist())], np.uint64, heads.size
    )
    stored = arr8[ends[:, None] + np.arange(4)].view("<u4").ravel().astype(np.uint64)
    return _masked(crcs) == stored


def frame(buf: bytes, name: str) -> tuple[np.ndarray, np.ndarray, int, list[str], bool]:
    """(data offsets, data lengths, incomplete tail bytes, problems, clean end) of the intact
    records; clean end: the bytes end with whole records, or with one record cut short.

    Raises ReaderError when the bytes hold no intact record at all and are not a record
    cut short (e.g. a Git LFS pointer, text, random bytes)."""
    n = len(buf)
    if n == 0:
        raise ReaderError(name, "empty file (0 bytes)")
    if buf.startswith(_LFS_MAGIC):
        raise ReaderError(name, "not an event file: a Git LFS pointer (the real file was never fetched)")
    problems: list[str] = []
    pos = 0
    if not _header_ok(buf, 0):
        found = _resync(buf, 1)
        if found is None:
            kind = "text" if _looks_like_text(buf[:256]) else "no valid TFRecord framing"
            raise ReaderError(name, f"not an event file ({kind})")
        problems.append(f"first {found} bytes are not intact records (skipped)")
        pos = found
    arr8 = np.frombuffer(buf, np.uint8)
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    corrupt = tail = 0
    clean = True
    while True:
        heads, stop = _walk(buf, pos)
        h = np.asarray(heads, np.int64)
        ends = np.append(h[1:], stop) - 4  # where each record's data CRC sits
        good = _data_crc_ok(buf, arr8, h, ends)
        cut = h.size
        for i in np.flatnonzero(~good).tolist():
            if not _header_ok(buf, int(h[i])):  # the length itself is bad: nothing after is framed
                cut = i
                break
            corrupt += 1
        starts.append(h[:cut][good[:cut]] + 12)
        lengths.append((ends - h - 12)[:cut][good[:cut]])
        resume = int(h[cut]) if cut < h.size else stop
        if resume == n:
            break
        if cut == h.size and (n - stop < 12 or _header_ok(buf, stop)):
            tail = n - stop  # a record cut short: the file ends (or is still being written) here
            break
        found = _resync(buf, resume + 1)
        if found is None:
            problems.append(f"unreadable bytes from byte {resume} to the end ({n - resume} bytes)")
            clean = False
            break
        problems.append(f"damaged bytes {resume}-{found} skipped")
        pos = found
    if corrupt:
        problems.insert(0, f"{corrupt} corrupt record(s) skipped (CRC mismatch)")
    return np.concatenate(starts), np.concatenate(lengths), tail, problems, clean


def _looks_like_text(head: bytes) -> bool:
    return bool(head) and all(32 <= b < 127 or b in (9, 10, 13) for b in head)


# ---- decoding -------------------------------------------------------------------------------


def _fast_scalars(arr: np.ndarray, o: np.ndarray, lens: np.ndarray):
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


def _intern_tags(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray):
    """Tag ids for byte spans, without a Python loop per row: spans are hashed per length
    group, then each row is compared with its group's representative (so a hash collision
    or bad UTF-8 only sends that row to the slow path). Returns (names, ids, ok)."""
    ids = np.full(starts.size, -1, np.int32)
    names: list[str] = []
    for length in np.unique(lens):
        rows = np.flatnonzero(lens == length)
        mat = arr[starts[rows][:, None] + np.arange(length)]
        h = np.zeros(rows.size, np.uint64)
        for j in range(int(length)):
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
        gid = local[inv]
        good = same & (gid >= 0)
        ids[rows[good]] = gid[good]
    return names, ids, ids >= 0


_DTYPES = {1: "<f4", 2: "<f8", 19: "<f2", 3: "<i4", 9: "<i8", 4: "u1", 5: "<i2", 6: "i1",
           17: "<u2", 22: "<u4", 23: "<u8", 10: "?"}
_VAL_FIELDS = {1: "float_val", 2: "double_val", 9: "int64_val", 23: "uint64_val", 22: "uint32_val",
               10: "bool_val"}


def tensor_array(t) -> np.ndarray | None:
    """A TensorProto's numbers as float64, or None for strings/unknown dtypes/bad shapes."""
    dtype = _DTYPES.get(t.dtype)
    if dtype is None:
        return None
    shape = tuple(d.size for d in t.tensor_shape.dim)
    size = int(np.prod(shape)) if shape else 1
    if t.tensor_content:
        if len(t.tensor_content) % np.dtype(dtype).itemsize:
            return None
        arr = np.frombuffer(t.tensor_content, dtype)
    elif t.dtype == 19:
        arr = np.asarray(t.half_val, np.uint16).view("<f2")
    else:
        arr = np.asarray(getattr(t, _VAL_FIELDS.get(t.dtype, "int_val")), dtype)
    if arr.size == 1 and size > 1:  # proto fill rule: a single value repeats
        arr = np.full(size, arr[0])
    if arr.size != size or size > 10_000_000:
        return None
    return arr.astype(np.float64).reshape(shape)


def _histo_rows(h) -> np.ndarray:
    """HistogramProto -> k x 3 (left, right, count), as TensorBoard's data_compat migrates it:
    empty end buckets dropped, outer edges taken from min and max."""
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


class _Slow:
    """Row collector for records that need the full protobuf decoder."""

    def __init__(self) -> None:
        self.scalars: list[tuple[int, str, int, float, float]] = []  # rec, tag, step, value, wall
        self.hists: list[tuple[str, int, float, np.ndarray]] = []
        self.plugins: set[str] = set()
        self.kinds: set[str] = set()
        self.tag_plugin: dict[str, str] = {}  # TF2 writes a tag's metadata only the first time
        self.source = ""
        self.headers = 0
        self.first: tuple[int, int] | None = None  # (record, step) of the first real event
        self.hparams: dict[str, Any] | None = None
        self.undecodable = 0

    def add(self, rec: int, data: bytes) -> None:
        try:
            ev = event_pb2.Event.FromString(data)
        except Exception:  # noqa: BLE001 - protobuf raises DecodeError/RuntimeError variants
            self.undecodable += 1
            return
        kind = ev.WhichOneof("what")
        if ev.source_metadata.writer and not self.source:
            self.source = ev.source_metadata.writer
        if kind == "file_version":
            self.headers += 1
            return
        if kind:
            self.kinds.add(kind)
        if self.first is None:
            self.first = (rec, ev.step)
        if kind == "summary":
            for v in ev.summary.value:
                self._value(rec, ev.step, ev.wall_time, v)

    def _value(self, rec: int, step: int, wall: float, v) -> None:
        which = v.WhichOneof("value")
        plugin = v.metadata.plugin_data.plugin_name
        if plugin:
            self.tag_plugin.setdefault(v.tag, plugin)
        else:
            plugin = self.tag_plugin.get(v.tag, "")
        if which == "simple_value":
            self.scalars.append((rec, v.tag, step, v.simple_value, wall))
        elif which == "histo":
            self.plugins.add("histograms")
            self.hists.append((v.tag, step, wall, _histo_rows(v.histo)))
        elif which == "tensor" and plugin in ("scalars", "histograms"):
            arr = tensor_array(v.tensor)
            if arr is None:
                return
            if plugin == "scalars" and arr.size == 1:
                self.scalars.append((rec, v.tag, step, float(arr.ravel()[0]), wall))
            elif plugin == "histograms" and arr.ndim == 2 and arr.shape[1] == 3:
                self.hists.append((v.tag, step, wall, arr))
        elif which in ("image", "audio"):
            plugin = plugin or {"image": "images", "audio": "audio"}[which]
        if plugin == "hparams" and self.hparams is None:
            with contextlib.suppress(Exception):  # a broken hparams blob is not worth the file
                self.hparams = _hparams(v.metadata.plugin_data.content)
        if plugin:
            self.plugins.add(plugin)


def decode(buf: bytes, name: str, tag_plugins: dict[str, str] | None = None) -> FileEvents:
    """All events of one file's bytes. Raises ReaderError when it is not an event file.
    `tag_plugins`: what earlier bytes of the same file said (`extend` decodes appended bytes)."""
    starts, lens, tail, problems, clean = frame(buf, name)
    arr = np.frombuffer(buf, np.uint8)
    ok, tstart, tlen, steps, values, walls = _fast_scalars(arr, starts, lens)
    names, ids, named = _intern_tags(arr, tstart, tlen)
    fast_rec = np.flatnonzero(ok)[named]
    ok[np.flatnonzero(ok)[~named]] = False
    steps, values, walls, ids = steps[named], values[named], walls[named], ids[named]
    fast_first = (int(fast_rec[0]), int(steps[0])) if fast_rec.size else None

    slow = _Slow()
    slow.tag_plugin.update(tag_plugins or {})
    for rec in np.flatnonzero(~ok).tolist():
        s = int(starts[rec])
        slow.add(rec, buf[s : s + int(lens[rec])])
    if slow.undecodable:
        problems.append(f"{slow.undecodable} record(s) are not valid Event protobufs (skipped)")

    tag_index = {t: i for i, t in enumerate(names)}
    if slow.scalars:
        rec, tags, st, va, wa = zip(*slow.scalars)
        sid = np.fromiter((tag_index.setdefault(t, len(tag_index)) for t in tags), np.int32, len(tags))
        order = np.argsort(np.concatenate([fast_rec, np.asarray(rec)]), kind="stable")
        ids = np.concatenate([ids, sid])[order]
        steps = np.concatenate([steps, np.asarray(st, np.int64)])[order]
        values = np.concatenate([values, np.asarray(va, np.float64)])[order]
        walls = np.concatenate([walls, np.asarray(wa, np.float64)])[order]
    firsts = [f for f in (slow.first, fast_first) if f]
    n_events = starts.size - slow.undecodable - slow.headers
    return FileEvents(
        scalar_tags=tuple(sorted(tag_index, key=tag_index.get)),
        scalar_ids=ids.astype(np.int32),
        steps=steps,
        values=values,
        wall_times=walls,
        **_hist_columns(slow.hists),
        plugins=frozenset(slow.plugins | ({"scalars"} if steps.size else set())),
        kinds=frozenset(slow.kinds | ({"summary"} if ok.any() else set())),
        source_writer=slow.source,
        has_header=slow.headers > 0,
        events=n_events,
        first_step=min(firsts)[1] if firsts else None,
        hparams=slow.hparams,
        tail=tail,
        last_wall_time=_wall_time(buf, int(starts[-1])) if starts.size else float("nan"),
        resume_at=len(buf) - tail if clean else None,
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
    hist = prev.hist
    if new.hist and new.hist["id"].size:
        added = {**new.hist, "id": hist_remap[new.hist["id"]]}
        hist = {k: np.concatenate([prev.hist[k], added[k]]) if prev.hist else added[k] for k in added}
    return FileEvents(
        scalar_tags=tuple(tags),
        scalar_ids=np.concatenate([prev.scalar_ids, remap[new.scalar_ids]]),
        steps=np.concatenate([prev.steps, new.steps]),
        values=np.concatenate([prev.values, new.values]),
        wall_times=np.concatenate([prev.wall_times, new.wall_times]),
        hist_tags=tuple(hist_tags),
        hist=hist,
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


def _hist_columns(hists: list[tuple[str, int, float, np.ndarray]]) -> dict[str, Any]:
    if not hists:
        return {}
    index: dict[str, int] = {}
    sizes = np.asarray([h[3].shape[0] for h in hists])
    rows = np.concatenate([h[3] for h in hists]) if sizes.sum() else np.zeros((0, 3))
    tid = np.asarray([index.setdefault(h[0], len(index)) for h in hists], np.int32)
    return {
        "hist_tags": tuple(index),
        "hist": {
            "id": np.repeat(tid, sizes),
            "step": np.repeat(np.asarray([h[1] for h in hists], np.int64), sizes),
            "wall_time": np.repeat(np.asarray([h[2] for h in hists], np.float64), sizes),
            "left": rows[:, 0].copy(),
            "right": rows[:, 1].copy(),
            "count": rows[:, 2].copy(),
        },
    }
