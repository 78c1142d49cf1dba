"""The readers `reader_speed` compares, and `measure`, which times one of them; `reader_speed`
runs it in a fresh process per reader so the peak RSS is that reader's own:

    python -m benchmarks.reader_speed --one READER PATH [--repeat 3] [--reopen]   # one JSON line

READER is one of `READERS`. Every reader keeps every event of every kind it meets (scalars,
tensors, histograms); each returns how many points (or records, for the scan) it read.
"""
from __future__ import annotations

import resource
import struct
import time
import warnings
from pathlib import Path

import google_crc32c

READERS = ("ours", "scan", "tbparse", "event_accumulator")
LABELS = {"ours": "run-doctor reader (CRC checked)", "scan": "CRC-checked record scan (floor)",
          "tbparse": "tbparse", "event_accumulator": "EventAccumulator (size_guidance 0)"}


def event_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*tfevents*") if p.is_file())


# ---- the floor: read the same bytes, check both CRCs, decode nothing --------------------------

_HEAD = struct.Struct("<QI").unpack_from
_U32 = struct.Struct("<I").unpack_from


def scan_bytes(buf: bytes) -> int:
    """Intact records in buf, both masked crc32c's checked; stops at a record cut short. One plain
    loop, the mask inlined and names local: ~25% faster than calling helpers per record."""
    crc, head, u32 = google_crc32c.value, _HEAD, _U32
    n, pos, count = len(buf), 0, 0
    while pos + 12 <= n:
        length, length_crc = head(buf, pos)
        c = crc(buf[pos : pos + 8])
        if (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF != length_crc:  # TFRecord's mask
            raise ValueError(f"length CRC mismatch at byte {pos}")
        end = pos + 12 + length
        if end + 4 > n:
            break
        c = crc(buf[pos + 12 : end])
        if (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF != u32(buf, end)[0]:
            raise ValueError(f"data CRC mismatch at byte {pos}")
        count += 1
        pos = end + 4
    return count


def scan(path: Path) -> int:
    return sum(scan_bytes(f.read_bytes()) for f in event_files(path))


# ---- the readers -----------------------------------------------------------------------------


def ours(path: Path):
    from diagnostics import reader

    reader.clear_cache()  # a cold read every repeat; `reopen` measures the cache
    return reader.load(path)


def _ours_points(result) -> int:
    """Scalar rows + histograms (the reader keeps one row per bucket: count each once)."""
    points = 0
    for run in result.runs:
        points += len(run.scalars)
        if len(run.histograms):
            points += len(run.histograms.drop_duplicates(["tag", "step", "wall_time"]))
    return points


def tbparse(path: Path):
    from tbparse import SummaryReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3's Pandas4Warning about inplace sort_values
        summary = SummaryReader(str(path), pivot=False, extra_columns={"wall_time", "dir_name"})
        return summary.scalars, summary.tensors, summary.histograms


def event_accumulator(path: Path):
    """One accumulator per run folder, as TensorBoard's multiplexer does; TF2 tensors decoded to
    numbers (what a user of `Tensors()` does next)."""
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util

    keep_all = {k: 0 for k in (ea.SCALARS, ea.HISTOGRAMS, ea.TENSORS, ea.IMAGES, ea.AUDIO,
                               ea.COMPRESSED_HISTOGRAMS)}
    scalars, tensors, histograms = [], [], []
    for run in sorted({f.parent for f in event_files(path)}):
        acc = ea.EventAccumulator(str(run), size_guidance=keep_all)
        acc.Reload()
        tags = acc.Tags()
        scalars += [(t, e.step, e.value, e.wall_time) for t in tags["scalars"] for e in acc.Scalars(t)]
        tensors += [(t, e.step, tensor_util.make_ndarray(e.tensor_proto).item(), e.wall_time)
                    for t in tags["tensors"] for e in acc.Tensors(t)]
        histograms += [h for t in tags["histograms"] for h in acc.Histograms(t)]
    return scalars, tensors, histograms


LOADERS = {"ours": ours, "scan": scan, "tbparse": tbparse, "event_accumulator": event_accumulator}


def points(name: str, result) -> int:
    if name == "scan":
        return result
    if name == "ours":
        return _ours_points(result)
    return sum(len(part) for part in result)


def _prepare(name: str) -> None:
    """Import what a reader needs before the clock starts (imports are not reading)."""
    modules = {"ours": ["diagnostics.reader"], "tbparse": ["tbparse", "pandas"],
               "event_accumulator": ["tensorboard.backend.event_processing.event_accumulator",
                                     "tensorboard.util.tensor_util"]}
    for module in modules.get(name, []):
        __import__(module)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def measure(name: str, path: Path, repeat: int, reopen: bool) -> dict:
    """Times of `repeat` cold reads, the points read, peak RSS; `reopen`: one more load of ours
    with its cache kept (the same path, unchanged)."""
    _prepare(name)
    imports_mb = peak_rss_mb()  # the interpreter and the reader's modules, before any reading
    times, result = [], None
    for _ in range(repeat):
        result = None  # the previous result is freed before the next read, as in a fresh process
        start = time.perf_counter()
        result = LOADERS[name](path)
        times.append(time.perf_counter() - start)
    out = {"reader": name, "times": times, "points": points(name, result), "reopen_s": None}
    if reopen and name == "ours":
        from diagnostics import reader

        start = time.perf_counter()
        reader.load(path)
        out["reopen_s"] = time.perf_counter() - start
    out["rss_mb"], out["imports_mb"] = peak_rss_mb(), imports_mb
    return out

