"""TFRecord's masked CRC32C: one record at a time (the C `google_crc32c`) and, for the framer's
search past damage, the length CRCs of many offsets at once (numpy, slicing-by-8 tables)."""
from __future__ import annotations

import google_crc32c
import numpy as np

MASK_DELTA = 0xA282EAD8
crc = google_crc32c.value


def masked(value: int) -> int:
    """TFRecord's masking of a crc32c value."""
    return (((value >> 15) | (value << 17)) + MASK_DELTA) & 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """The masked crc32c of `data`, as a TFRecord stores it (also what `trainers.hooks` hands
    tensorboard's event writer, so the bytes it writes match what the reader checks)."""
    return masked(crc(data))


def masked_np(values: np.ndarray) -> np.ndarray:
    """`masked`, vectorised (uint64 so the shifts cannot overflow)."""
    values = values.astype(np.uint64)
    return (((values >> np.uint64(15)) | (values << np.uint64(17))) + np.uint64(MASK_DELTA)) & np.uint64(0xFFFFFFFF)


def _table() -> np.ndarray:
    """Slicing-by-8 tables for crc32c (reflected polynomial 0x82F63B78)."""
    t = np.zeros((8, 256), np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t[0, i] = c
    for k in range(1, 8):
        t[k] = (t[k - 1] >> 8) ^ t[0][t[k - 1] & 0xFF]
    return t


_T = _table()


def u32_at(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Little-endian u32 at each offset (as uint64)."""
    out = np.zeros(pos.size, np.uint64)
    for k in range(4):
        out |= arr[pos + k].astype(np.uint64) << np.uint64(8 * k)
    return out


def masked_header_crcs(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Masked crc32c of the 8 bytes at each offset, all at once (slicing-by-8)."""
    b = [arr[pos + k] for k in range(8)]
    c = _T[7][b[0] ^ 0xFF] ^ _T[6][b[1] ^ 0xFF] ^ _T[5][b[2] ^ 0xFF] ^ _T[4][b[3] ^ 0xFF]
    c ^= _T[3][b[4]] ^ _T[2][b[5]] ^ _T[1][b[6]] ^ _T[0][b[7]]
    return masked_np(c ^ np.uint32(0xFFFFFFFF))
