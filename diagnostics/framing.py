"""TFRecord framing: where the intact records of one event file's bytes lie, in batches.

A record is `u64 length | u32 masked crc32c(length) | data | u32 masked crc32c(data)`
(little-endian). `Framer(buf, name).batches()` yields (data starts, data lengths) of the intact
records in file order, at most `BATCH` at a time, so whoever decodes them holds one batch of
work at once; after the loop, `tail`, `clean` and `problems` say how the bytes ended.

Cost is linear in the file size with a small constant, whatever the bytes are:
- records are followed by their length fields in one tight Python loop per batch, and their
  data CRCs checked a batch at a time (`record_checks`);
- damage (a record whose data CRC and length CRC both fail) makes the framer search forward for
  the next intact record (`record_checks.RecordChecks._resync`);
- after damage the framer checks record by record until a stretch is intact again, then frames
  segments that start small and double: work done past the next damage and thrown away is never
  more than the intact stretch before it earned;
- a budget on the records walked and the bytes checksummed, a few times what an honest file
  needs, bounds what crafted framing can cost: past it the rest is reported unreadable.

`walked` and `checked` count the work done (records followed, bytes checksummed): tests use them
to show the cost grows with the input, not faster.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from diagnostics.crc import masked as _masked1
from diagnostics.errors import ReaderError
from diagnostics.messages import Msg
from diagnostics.record_checks import U32, U64, RecordChecks

_LFS_MAGIC = b"version https://git-lfs"
BATCH = 65_536  # records per batch: bounds the decoder's working memory
_CAREFUL = 64  # after damage: records checked one by one before framing segments again
_FIRST_SEGMENT = 128  # ...and the first segment after that is this small, then doubles
_SPANS_NAMED = 5  # damaged spans reported one by one; the rest are summed up


def _looks_like_text(head: bytes) -> bool:
    return bool(head) and all(32 <= b < 127 or b in (9, 10, 13) for b in head)


class Framer(RecordChecks):
    """The intact records of `buf`. Raises ReaderError (at construction) when the bytes hold no
    intact record at all and are not one record cut short (an LFS pointer, text, noise)."""

    def __init__(self, buf: bytes, name: str):
        # Honest bytes are walked about once and checksummed about once; crafted ones get a few
        # times that, then the rest is called unreadable.
        super().__init__(buf, walk_budget=len(buf) // 4 + 4 * BATCH, crc_budget=4 * len(buf) + (1 << 20))
        self.name = name
        self.problems: list[str] = []
        self.tail = 0  # bytes of a record cut short at the end
        self.clean = True  # False: the end of the file could not be framed
        self.corrupt = 0  # records skipped for a data CRC mismatch
        self._spans = self._span_bytes = 0
        if self.n == 0:
            raise ReaderError(name, Msg("file.empty"))
        if buf.startswith(_LFS_MAGIC):
            raise ReaderError(name, Msg("file.git_lfs"))
        self._start = 0
        if not self._header_ok(0):
            found = self._resync(1)
            if found is None:
                raise ReaderError(name, Msg("file.text" if _looks_like_text(buf[:256]) else "file.no_framing"))
            self.problems.append(Msg("file.junk_head", n=found))
            self._start = found

    # ---- following lengths ---------------------------------------------------------------------

    def _walk(self, pos: int, limit: int) -> tuple[np.ndarray, int, bool]:
        """(heads, where the walk stopped, stopped only for the limit) following the length fields
        from pos, at most `limit` records. The tightest loop of the reader: CRCs come after."""
        buf, n = self.buf, self.n
        heads: list[int] = []
        add = heads.append
        full = True
        for _ in range(limit):
            if pos + 16 > n:
                full = False
                break
            nxt = pos + 16 + U64(buf, pos)[0]
            if nxt > n:
                full = False
                break
            add(pos)
            pos = nxt
        self.walked += len(heads)
        self._walk_left -= len(heads)
        return np.asarray(heads, np.int64), pos, full and pos + 16 <= self.n

    # ---- the batches -------------------------------------------------------------------------

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(data starts, data lengths) of the intact records, file order, at most about BATCH
        at a time. Intact stretches are framed a segment at a time (vectorised); after damage the
        framer goes record by record (`_careful`) until `_CAREFUL` records in a row were intact,
        then back to segments, small at first and doubling, so a segment's work past the next
        damage is never more than what the stretch before it earned."""
        out = _Pending()
        pos, careful, limit = self._start, 0, BATCH
        while pos is not None:
            if careful:
                pos, careful = self._careful(pos, careful, out)
                limit = _FIRST_SEGMENT
            else:
                pos, careful, limit = self._segment_at(pos, limit, out)
            if len(out) >= BATCH:
                yield out.take()
        if len(out):
            yield out.take()
        if self._spans > _SPANS_NAMED:
            more = self._spans - _SPANS_NAMED
            self.problems.append(Msg("file.more_spans", n=more, b=self._span_bytes))
        if self.corrupt:
            self.problems.insert(0, Msg("file.corrupt_records", n=self.corrupt))

    def _segment_at(self, pos: int, limit: int, out: _Pending) -> tuple[int | None, int, int]:
        """Frame up to `limit` records from pos at once. (next position or None at the end,
        careful records to go, next limit)."""
        if self._over_budget():
            return self._unreadable(pos), 0, limit
        heads, stop, full = self._walk(pos, limit)
        if not heads.size:
            return self._end(pos), _CAREFUL, limit
        good = self._data_ok(heads, stop)
        cut = heads.size
        for f in np.flatnonzero(~good).tolist():
            if not self._header_ok(int(heads[f])):  # the length itself is bad: nothing after is framed
                cut = f
                break
            self.corrupt += 1
        ok = good[:cut]
        nxt = np.append(heads[1:], stop)[:cut]
        out.add(heads[:cut][ok] + 12, (nxt - heads[:cut] - 16)[ok])
        if cut < heads.size:
            return int(heads[cut]), _CAREFUL, limit  # the damaged record, record by record
        if full:
            return stop, 0, min(2 * limit, BATCH)
        return self._end(stop), _CAREFUL, limit

    def _careful(self, pos: int, careful: int, out: _Pending) -> tuple[int | None, int]:
        """Record by record, both CRCs checked, up to `careful` records; past damage, search."""
        buf, n = self.buf, self.n
        while careful:
            if self._over_budget():
                return self._unreadable(pos), 0
            if pos + 16 > n or pos + 16 + U64(buf, pos)[0] > n:
                end = self._end(pos)
                if end is None:
                    return None, 0
                pos = end
                continue
            self.walked += 1
            self._walk_left -= 1
            end = pos + 12 + U64(buf, pos)[0]
            if _masked1(self._span_crc(pos + 12, end)) == U32(buf, end)[0]:
                out.add_one(pos + 12, end - pos - 12)
                pos, careful = end + 4, careful - 1
            elif self._header_ok(pos):
                self.corrupt += 1
                pos, careful = end + 4, careful - 1
            else:
                found = self._resync(pos + 1)
                if found is None:
                    return self._unreadable(pos), 0
                self._damaged(pos, found)
                pos, careful = found, _CAREFUL
        return pos, 0

    def _end(self, pos: int) -> int | None:
        """Where framing goes on when no whole record starts at pos: None at the end of the
        file or a record cut short there; else past the damage."""
        if pos == self.n:
            return None
        if self.n - pos < 12 or self._header_ok(pos):
            self.tail = self.n - pos  # a record cut short: the file ends (or is still being written) here
            return None
        found = self._resync(pos + 1)
        if found is None:
            return self._unreadable(pos)
        self._damaged(pos, found)
        return found

    def _damaged(self, start: int, end: int) -> None:
        self._spans += 1
        if self._spans <= _SPANS_NAMED:
            self.problems.append(Msg("file.damaged_span", start=start, end=end))
        else:
            self._span_bytes += end - start

    def _unreadable(self, at: int) -> None:  # returns None: no position to go on from
        self.problems.append(Msg("file.unreadable_tail", start=at, n=self.n - at))
        self.clean = False


class _Pending:
    """Records framed but not yet handed out: arrays from segments, ints from careful mode."""

    def __init__(self) -> None:
        self.arrays: list[tuple[np.ndarray, np.ndarray]] = []
        self.starts: list[int] = []
        self.lens: list[int] = []
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, starts: np.ndarray, lens: np.ndarray) -> None:
        if starts.size:
            self._flush_ints()
            self.arrays.append((starts, lens))
            self.count += starts.size

    def add_one(self, start: int, length: int) -> None:
        self.starts.append(start)
        self.lens.append(length)
        self.count += 1

    def _flush_ints(self) -> None:
        if self.starts:
            self.arrays.append((np.asarray(self.starts, np.int64), np.asarray(self.lens, np.int64)))
            self.starts, self.lens = [], []

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        self._flush_ints()
        starts = np.concatenate([a for a, _ in self.arrays])
        lens = np.concatenate([b for _, b in self.arrays])
        self.arrays, self.count = [], 0
        return starts, lens
