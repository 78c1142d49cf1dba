"""Telling an intact TFRecord from damage, and finding the next intact one past it, on a budget.

A record is `u64 length | u32 masked crc32c(length) | data | u32 masked crc32c(data)`
(little-endian). `RecordChecks` holds one event file's bytes and answers whether a record's
length CRC and data CRC hold (data checksummed by the C `google_crc32c`, masked and compared in
numpy for a batch), and where the next intact record starts past damage (`_resync`): every
offset followed by four zero bytes (the high half of a length < 4 GiB) is a candidate. The
first few are tried one by one (a run of zeros is skipped at once: no header is all zeros);
past them, the length CRCs of a window of candidates are computed at once in numpy
(slicing-by-8 tables). Only a candidate whose length CRC holds has its data checksummed.

`walked` and `checked` count the work done (records followed, bytes checksummed); the budgets
left (`_walk_left`, `_crc_left`, set by the framer) bound what crafted framing can cost.
"""
from __future__ import annotations

import re
import struct

import google_crc32c
import numpy as np

from diagnostics.crc import crc as _crc
from diagnostics.crc import masked as _masked1
from diagnostics.crc import masked_header_crcs, masked_np, u32_at

U64 = struct.Struct("<Q").unpack_from  # (value,) of the little-endian u64 at an offset
U32 = struct.Struct("<I").unpack_from  # ... u32

_NEAR = 64  # candidates a search tries one by one before checking windows of them at once
_NONZERO = re.compile(rb"[^\x00]")
_BIG = 1 << 20  # records longer than this are checksummed in pieces (no copy of the whole)

_EMPTY_HEADER_CRC = struct.pack("<I", _masked1(_crc(bytes(8))))  # the length CRC of a zero length


class RecordChecks:
    """Checks on the records of `buf`, within a budget of records walked and bytes checksummed."""

    def __init__(self, buf: bytes, *, walk_budget: int, crc_budget: int):
        self.buf, self.n = buf, len(buf)
        self.arr = np.frombuffer(buf, np.uint8)
        self.walked = 0  # records followed (work done, for tests)
        self.checked = 0  # bytes checksummed (work done, for tests)
        self._walk_left = walk_budget
        self._crc_left = crc_budget

    # ---- checks ---------------------------------------------------------------------------

    def _header_ok(self, pos: int) -> bool:
        return pos + 12 <= self.n and _masked1(_crc(self.buf[pos : pos + 8])) == U32(self.buf, pos + 8)[0]

    def _span_crc(self, a: int, b: int) -> int:
        self.checked += b - a
        self._crc_left -= b - a
        if b - a <= _BIG:
            return _crc(self.buf[a:b])
        crc = 0
        for s in range(a, b, _BIG):
            crc = google_crc32c.extend(crc, self.buf[s : min(b, s + _BIG)])
        return crc

    def _record_ok(self, pos: int) -> bool:
        """Both CRCs of the record at pos hold (its length CRC was checked already). A record
        longer than the checksum budget left is not checked: the budget is spent."""
        end = pos + 12 + U64(self.buf, pos)[0]
        if end - pos - 12 > self._crc_left:
            self._crc_left = -1
            return False
        return end + 4 <= self.n and _masked1(self._span_crc(pos + 12, end)) == U32(self.buf, end)[0]

    def _data_ok(self, heads: np.ndarray, stop: int) -> np.ndarray:
        """Per record: does the masked crc32c of its data match the stored one?"""
        ends = np.append(heads[1:], stop) - 4  # where each record's data CRC sits
        starts = heads + 12
        lens = ends - starts
        buf = self.buf
        big = np.flatnonzero(lens > _BIG)
        if big.size:  # rare: checksummed in pieces, one by one
            crcs = np.zeros(heads.size, np.uint64)
            for i in range(heads.size):
                crcs[i] = self._span_crc(int(starts[i]), int(ends[i]))
        else:
            crcs = np.fromiter([_crc(buf[a:b]) for a, b in zip(starts.tolist(), ends.tolist())],
                               np.uint64, heads.size)
            total = int(lens.sum())
            self.checked += total
            self._crc_left -= total
        return masked_np(crcs) == u32_at(self.arr, ends)

    # ---- searching past damage ---------------------------------------------------------------

    def _resync(self, frm: int) -> int | None:
        """The first offset >= frm where an intact record starts, or None. Near candidates are
        tried one by one (a run of zeros skipped at once: no header is all zeros); past
        `_NEAR` of them, whole windows of candidates are checked at once in numpy."""
        buf, n = self.buf, self.n
        search = frm + 4
        for _ in range(_NEAR):
            hit = buf.find(b"\0\0\0\0", search)
            if hit < 0 or hit + 12 > n:
                return None
            pos = hit - 4
            if pos >= frm:
                if buf[pos : pos + 4] == b"\0\0\0\0" and buf[pos + 8 : pos + 12] == b"\0\0\0\0":
                    nonzero = _NONZERO.search(buf, pos + 12)  # the next header must hold one
                    if nonzero is None:
                        return None
                    search = max(hit + 1, nonzero.start() - 7)
                    continue
                length = U64(buf, pos)[0]
                header = buf[pos + 8 : pos + 12] == _EMPTY_HEADER_CRC if length == 0 else self._header_ok(pos)
                if header and pos + 16 + length <= n:
                    if self._over_budget():
                        return None
                    if self._record_ok(pos):
                        return pos
            search = hit + 1
        return self._resync_wide(max(frm, search - 4))

    def _resync_wide(self, frm: int) -> int | None:
        arr, n = self.arr, self.n
        start, window = frm, 1 << 12
        while start + 16 <= n:
            end = min(n - 15, start + window)  # candidates p: p + 16 <= n
            z = arr[start + 4 : end + 7] == 0
            width = end - start
            hit = z[:width] & z[1 : width + 1] & z[2 : width + 2] & z[3 : width + 3]
            cand = np.flatnonzero(hit) + start
            if cand.size:
                cand = cand[cand.astype(np.uint64) + np.uint64(16) + u32_at(arr, cand) <= np.uint64(n)]
                cand = cand[masked_header_crcs(arr, cand) == u32_at(arr, cand + 8)]
                for p in cand.tolist():
                    if self._over_budget():
                        return None
                    if self._record_ok(p):
                        return p
            start, window = end, min(window * 4, 1 << 22)
        return None

    def _over_budget(self) -> bool:
        return self._walk_left < 0 or self._crc_left < 0
