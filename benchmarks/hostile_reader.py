"""Peak RSS and CPU of the reader over file size: crafted framing vs real-writer logs, and a
folder of 5,000 one-file runs -- this checkout ("after") and, with --before REV, the code of
another commit ("before", extracted with `git archive` into a temp folder; 577a1e5 is the last
commit before the hardening of issue 10).

    python -m benchmarks.hostile_reader [--sizes 2,20,200] [--before 577a1e5] [--timeout 300]

Each measurement is one subprocess that starts a fresh interpreter, which reads the input with
`diagnostics.reader.load` in a child of its own and reports `resource.getrusage(RUSAGE_CHILDREN)`
for it: the CPU (user + system) and peak RSS of the read alone, a fresh interpreter included
(the "import only" row is that interpreter reading a 1 KB file). Inputs are written once under
/tmp/run-doctor-hostile and reused. The crafted inputs are `tests/hostile.py`'s `crafted_framing`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.make_big_log import make_big_log
from tests import hostile

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.gettempdir()) / "run-doctor-hostile"
KB_PER_STEP = 53.3e3 / 100_000  # make_big_log: 53.3 MB per 100,000 steps

_MEASURE = r"""
import json, resource, subprocess, sys
code, path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
child = ("import sys; sys.path.insert(0, %r); from diagnostics import reader; r = reader.load(%r); "
         "print(len(r.runs), sum(len(x.scalars) + len(x.histograms) for x in r.runs), len(r.errors))") % (code, path)
try:
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=timeout)
    out, rc = proc.stdout.strip() or proc.stderr.strip().splitlines()[-1][:120], proc.returncode
except subprocess.TimeoutExpired:
    out, rc = "timeout", None
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": use.ru_utime + use.ru_stime, "rss_mb": use.ru_maxrss / 1024, "rc": rc, "out": out}))
"""


def measure(code: Path, path: Path, timeout: float) -> dict:
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(code), str(path), str(timeout)],
                          capture_output=True, text=True, timeout=timeout + 60)
    return json.loads(proc.stdout)


def inputs(sizes_mb: list[int]) -> dict[tuple[str, int], Path]:
    """{(kind, MB): event file}: the crafted kinds and a real-writer log of each size."""
    out = {}
    for mb in sizes_mb:
        for kind in hostile.CRAFTED:
            path = WORK / f"{kind}_{mb}mb" / "events.out.tfevents.1.crafted"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(hostile.crafted_framing(kind, mb * 10**6))
            out[(kind, mb)] = path
        steps = round(mb * 1e3 / KB_PER_STEP)
        run = make_big_log(WORK / "real", steps)
        out[("real", mb)] = next(run.glob("events.out.tfevents.*"))
    return out


def runs_5000() -> Path:
    folder = WORK / "runs5000"
    if not (folder / "COMPLETE").exists():
        source = make_big_log(WORK / "real", 20)  # ~10 KB: 20 steps of 10 scalars
        src = next(source.glob("events.out.tfevents.*"))
        for i in range(5000):
            (folder / f"run{i:04d}").mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, folder / f"run{i:04d}" / src.name)
        (folder / "COMPLETE").write_text("5000 runs\n")
    return folder


def before_code(rev: str) -> Path:
    dest = Path(tempfile.mkdtemp(prefix="run-doctor-before-"))
    archive = subprocess.run(["git", "archive", rev, "diagnostics"], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def _cell(m: dict | None, timeout: float) -> str:
    if m is None:
        return "not run"
    if m["rc"] is None:
        return f"> {timeout:.0f} s (stopped)"
    if m["rc"] != 0:
        return f"failed: {m['out']}"
    return f"{m['cpu']:.2f} s, {m['rss_mb']:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,20,200", help="file sizes in MB")
    parser.add_argument("--before", metavar="REV", help="also measure the code of this commit")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per measurement")
    parser.add_argument("--skip-5000", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    files = inputs(sizes)
    codes = {"after": REPO}
    if args.before:
        codes["before"] = before_code(args.before)
    tiny = WORK / "tiny" / "events.out.tfevents.1.tiny"
    tiny.parent.mkdir(parents=True, exist_ok=True)
    tiny.write_bytes(hostile.header() + b"".join(hostile.good_records(10)))
    print("| input | size | " + " | ".join(f"{c}: CPU, peak RSS" for c in codes) + " | rows, errors (after) |")
    print("|---|---|" + "---|" * len(codes) + "---|")
    print("| import only (1 KB file) | 1 KB | " + " | ".join(_cell(measure(c, tiny, args.timeout), args.timeout)
                                                     for c in codes.values()) + " | |")
    stopped: set[tuple[str, str]] = set()  # (code, kind) that ran out of time: larger sizes not tried
    for kind in ("real", *hostile.CRAFTED):
        for mb in sizes:
            path = files[(kind, mb)]
            cells, after = [], None
            for name, code in codes.items():
                m = None if (name, kind) in stopped else measure(code, path, args.timeout)
                if m is not None and m["rc"] is None:
                    stopped.add((name, kind))
                cells.append(_cell(m, args.timeout))
                after = m if name == "after" else after
            size = path.stat().st_size / 1e6
            print(f"| {kind} | {size:.1f} MB | " + " | ".join(cells) + f" | {after['out'] if after else ''} |",
                  flush=True)
    if not args.skip_5000:
        folder = runs_5000()
        cells = [_cell(measure(code, folder, args.timeout), args.timeout) for code in codes.values()]
        files = sum(1 for _ in folder.rglob("events.*"))
        print(f"| 5,000 one-file runs | {files} files | " + " | ".join(cells) + " | |")
    if "before" in codes:
        shutil.rmtree(codes["before"], ignore_errors=True)


if __name__ == "__main__":
    main()
