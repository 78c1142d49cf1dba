"""Reader speed and memory: our reader side by side with tbparse, TensorBoard's EventAccumulator
(size_guidance 0 for every kind) and a CRC-checked record scan (the floor: read the same bytes,
check both CRCs, decode nothing), on four shapes of log (see log_shapes.py; written once, cached):

    tf1   10 tags x 100,000 steps of torch / TensorBoard `simple_value` scalars (+ 2 histogram tags)
    tf2   10 tags x 100,000 steps of Keras / TF2 tensor scalars
    hist  200 histogram tags x 2,000 steps of torch `add_histogram` (default bins; ~3.6 GB)
    runs  1,000 run folders x 5 tags x 1,000 steps (+ re-open of the same logdir, ours only)

plus `logdir`: a ~50 MB logdir of 10 runs, ours only, from a folder (cold, cached re-open) and
as an uploaded zip.

Each reader runs in its own fresh subprocess (`--one`), so its peak RSS (VmHWM) is its own;
time is the min over the repeats, imports not counted. Then the issue's acceptance checks.

    python -m benchmarks.reader_speed [FOLDER] [--scale 1] [--shapes tf1,tf2,hist,runs,logdir]
        [--repeat 3] [--repeat-peers 1] [--skip-others] [--timeout 1800] [--mem-gb N] [--json OUT]
    python -m benchmarks.reader_speed --scale 0.001 /tmp/rs-quick      # a quick run (~30 s, 0.0001: a smoke test)
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks.bench_readers import LABELS, READERS, measure

REPO = Path(__file__).resolve().parents[1]
SHAPES = ("tf1", "tf2", "hist", "runs")  # log_shapes.SHAPES: not imported here, children start lighter
DEFAULT_DIR = Path(tempfile.gettempdir()) / "run-doctor-bench"  # make_big_log's folder
PEERS = ("tbparse", "event_accumulator")
TITLES = {"tf1": "TF1 scalars (torch add_scalar / simple_value)", "tf2": "TF2 tensor scalars (Keras layout)",
          "hist": "histograms (torch add_histogram, default bins)", "runs": "many runs (one torch file each)"}


# ---- one reader in a fresh process -----------------------------------------------------------


def _limit_memory(gb: float):
    """A preexec hook capping the child's address space: a peer that would eat a shared box's
    memory fails with MemoryError (reported) instead of pushing everyone into swap / the OOM killer."""
    limit = int(gb * 1024**3)
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_child(reader: str, path: Path, repeat: int, *, reopen=False, timeout=1800.0, mem_gb=0.0) -> dict:
    """`measure` in a fresh interpreter; a failure (refusal, timeout, out of memory) is an `error`."""
    cmd = [sys.executable, "-m", "benchmarks.reader_speed", "--one", reader, str(path), "--repeat", str(repeat)]
    cmd += ["--reopen"] if reopen else []
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_limit_memory(mem_gb) if mem_gb else None)
    except subprocess.TimeoutExpired:
        return {"reader": reader, "error": f"over the {timeout:.0f} s timeout"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"reader": reader, "error": why[:160]}
    return json.loads(lines[-1])


def measure_shape(shape: str, path: Path, args) -> dict[str, dict]:
    readers = [r for r in READERS if not (args.skip_others and r in PEERS)]
    results = {}
    for reader in readers:
        repeat = args.repeat_peers if reader in PEERS else args.repeat
        results[reader] = run_child(reader, path, repeat, reopen=shape == "runs", timeout=args.timeout,
                                    mem_gb=args.mem_gb)
        print(f"  {reader}: {_brief(results[reader])}", file=sys.stderr, flush=True)
    return results


def _brief(r: dict) -> str:
    return r["error"] if "error" in r else f"{min(r['times']):.2f} s, {r['rss_mb']:.0f} MB"


# ---- report ------------------------------------------------------------------------------------


def _time(results: dict, reader: str) -> float | None:
    r = results.get(reader)
    return min(r["times"]) if r and "times" in r else None


def table(results: dict[str, dict]) -> str:
    scan, tbp = _time(results, "scan"), _time(results, "tbparse")
    lines = ["| reader | time (s) | peak RSS (MB) | points | × scan's time | × faster than tbparse "
             "| RSS after imports (MB) |", "|---|---|---|---|---|---|---|"]
    for reader, r in results.items():
        if "error" in r:
            lines.append(f"| {LABELS[reader]} | — ({r['error']}) | — | — | — | — | — |")
            continue
        t = min(r["times"])
        x_scan = f"{t / scan:.2f}" if scan else "—"
        x_tbp = f"{tbp / t:.1f}" if tbp else "—"
        lines.append(f"| {LABELS[reader]} | {t:.3f} | {r['rss_mb']:.0f} | {r['points']:,} | {x_scan} | {x_tbp} "
                     f"| {r['imports_mb']:.0f} |")
    return "\n".join(lines)


def checks(shape: str, results: dict[str, dict]) -> list[tuple[str, bool | None]]:
    """The issue's acceptance checks for one shape: (what, passed); None when not measured."""
    ours, scan, tbp = (_time(results, r) for r in ("ours", "scan", "tbparse"))
    rss = {r: results[r]["rss_mb"] for r in results if "rss_mb" in results[r]}
    peers_rss = [rss[p] for p in PEERS if p in rss]
    out = [
        (f"{shape}: ours within 2x of the scan's time" + (f" ({ours / scan:.2f}x)" if ours and scan else ""),
         ours <= 2 * scan if ours and scan else None),
        (f"{shape}: ours >= 10x faster than tbparse" + (f" ({tbp / ours:.1f}x)" if ours and tbp else ""),
         tbp >= 10 * ours if ours and tbp else None),
        (f"{shape}: ours peak RSS <= min(tbparse, EventAccumulator)"
         + (f" ({rss['ours']:.0f} vs {min(peers_rss):.0f} MB)" if "ours" in rss and len(peers_rss) == 2 else ""),
         rss["ours"] <= min(peers_rss) if "ours" in rss and len(peers_rss) == 2 else None),
    ]
    if shape == "runs":
        reopen = results.get("ours", {}).get("reopen_s")
        out.append(("runs: re-open of the logdir < 0.5 s" + (f" ({reopen:.3f} s)" if reopen is not None else ""),
                    reopen < 0.5 if reopen is not None else None))
    return out


def _mark(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a "}[ok]


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("events.out.tfevents.*")) / 1e6


# ---- the 50 MB logdir and its upload (ours only, in this process) -----------------------------


def logdir_and_upload(folder: Path, scale: float) -> str:
    from benchmarks.make_big_log import make_big_log
    from diagnostics import reader

    steps = max(1, round(10_000 * scale))
    source = make_big_log(folder, steps)
    logdir = folder / ("logdir_50mb" if steps == 10_000 else f"logdir_{steps}")
    for i in range(10):
        dest = logdir / f"run_{i}"
        if not dest.exists():
            dest.mkdir(parents=True)
            for f in source.glob("events.out.tfevents.*"):
                shutil.copy2(f, dest / f.name)
    reader.clear_cache()
    start = time.perf_counter()
    result = reader.load(logdir)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    reader.load(logdir)
    warm = time.perf_counter() - start
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in logdir.rglob("events.out.tfevents.*"):
            zf.write(f, f.relative_to(logdir.parent).as_posix())
    start = time.perf_counter()
    uploaded = reader.load_uploads([(f"{logdir.name}.zip", buffer.getvalue())])
    upload = time.perf_counter() - start
    rows = sum(len(r.scalars) for r in result.runs)
    return (f"{_size_mb(logdir):.1f} MB logdir, {len(result.runs)} runs, {rows:,} scalar rows (ours only): "
            f"load(folder) cold {cold:.2f} s, cached re-open {warm * 1000:.1f} ms; load_uploads(zip, "
            f"{len(buffer.getvalue()) / 1e6:.1f} MB) {upload:.2f} s ({len(uploaded.runs)} runs)")


# ---- main ----------------------------------------------------------------------------------------


def _args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR), help="where the logs are cached")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every shape (0.001: a quick run)")
    parser.add_argument("--shapes", default="tf1,tf2,hist,runs,logdir")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of ours and the scan (min is kept)")
    parser.add_argument("--repeat-peers", type=int, default=1,
                        help="repeats of tbparse / EventAccumulator (each takes ~20x as long)")
    parser.add_argument("--skip-others", action="store_true", help="ours and the scan only")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per reader and shape")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3 / 2
    parser.add_argument("--mem-gb", type=float, default=round(mem, 1),
                        help="address-space cap per reader process (default: half the RAM; 0: none)")
    parser.add_argument("--json", help="also write every measurement here")
    parser.add_argument("--one", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--reopen", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = _args(argv)
    if args.one:  # the child: one reader, one path, one JSON line
        print(json.dumps(measure(args.one[0], Path(args.one[1]), args.repeat, args.reopen)))
        return
    from benchmarks import log_shapes

    folder, shapes = Path(args.folder), args.shapes.split(",")
    print(f"reader speed, {time.strftime('%Y-%m-%d %H:%M')}, scale {args.scale:g}, "
          f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs\n")
    report, verdicts = {}, []
    for shape in (s for s in shapes if s in SHAPES):
        start = time.perf_counter()
        path = log_shapes.build(shape, folder, args.scale)
        print(f"## {shape}: {TITLES[shape]}\n\n{path} ({_size_mb(path):.1f} MB; ready in "
              f"{time.perf_counter() - start:.1f} s)\n", flush=True)
        results = measure_shape(shape, path, args)
        print(table(results))
        if shape == "runs" and results["ours"].get("reopen_s") is not None:
            print(f"\nre-open, same process, logdir unchanged (ours only: the peers keep no cache): "
                  f"{results['ours']['reopen_s'] * 1000:.1f} ms")
        print(flush=True)
        report[shape] = {"path": str(path), "mb": _size_mb(path), "results": results}
        verdicts += checks(shape, results)
    if "logdir" in shapes:
        try:
            print(logdir_and_upload(folder, args.scale) + "\n")
        except Exception as err:  # keep the report of the shapes measured so far
            print(f"logdir: FAILED {type(err).__name__}: {err}\n")
    if verdicts:
        print("## acceptance (issue 12)\n")
        print("\n".join(f"- {_mark(ok)} {what}" for what, ok in verdicts))
    if args.json:
        Path(args.json).write_text(json.dumps({"scale": args.scale, "shapes": report,
                                               "checks": [[w, ok] for w, ok in verdicts]}, indent=1))


if __name__ == "__main__":
    main()
