"""Upload → findings time for a ~50 MB logdir, through the code path the UI uses.

    python benchmarks/upload_speed.py [--mb 50] [--browser]

Generates a logdir of several runs (dense scalars + 64-bin histograms, written as real
TFRecord event files), zips it, then times `reader.load_uploads` + `engine.diagnose` of every
run — what `ui/picker.py` and `ui/diagnosis.py` call. With `--browser` it also serves the app
and times a real upload in headless Chromium until the health summary shows (and until the
first chart is drawn). Goal: < 5 s. On a shared 2-core machine, check `uptime` first.
"""
from __future__ import annotations

import argparse
import io
import struct
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import google_crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LAYERS = ("fc1", "fc2", "fc3", "fc4")
SCALAR_TAGS = ("train/loss", "train/acc", "opt/lr", "grad_norm/total",
               *(f"grad_norm/{layer}" for layer in LAYERS), *(f"dead_frac/{layer}" for layer in LAYERS))
HIST_EVERY = 50  # steps between histograms (act/ and grad/ per layer)
VAL_EVERY = 100


def _masked_crc(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(event: event_pb2.Event) -> bytes:
    data = event.SerializeToString()
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", _masked_crc(header)) + data + struct.pack("<I", _masked_crc(data))


def _scalar(step: int, tag: str, value: float) -> bytes:
    return _record(event_pb2.Event(wall_time=1.7e9 + step * 0.01, step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])))


def _histogram(step: int, tag: str, values: np.ndarray) -> bytes:
    counts, edges = np.histogram(values, bins=64)
    hist = summary_pb2.HistogramProto(
        min=float(values.min()), max=float(values.max()), num=float(len(values)),
        sum=float(values.sum()), sum_squares=float((values**2).sum()),
        bucket_limit=edges[1:].tolist(), bucket=counts.astype(float).tolist())
    return _record(event_pb2.Event(wall_time=1.7e9 + step * 0.01, step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, histo=hist)])))


def write_run(folder: Path, steps: int, seed: int, overfit: bool) -> None:
    """One run with plausible curves (one overfitting, the others healthy)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    s = np.arange(steps)
    curves = {
        "train/loss": (0.05 + 2.25 * np.exp(-s / (steps / 8))) * np.exp(0.2 * rng.standard_normal(steps)),
        "train/acc": np.clip(1 - 0.9 * np.exp(-s / (steps / 8)) + 0.02 * rng.standard_normal(steps), 0, 1),
        "opt/lr": np.full(steps, 1e-3),
        "grad_norm/total": 1 + 0.2 * rng.standard_normal(steps) ** 2,
    }
    for i, layer in enumerate(LAYERS):
        curves[f"grad_norm/{layer}"] = (0.5 + 0.1 * i) * (1 + 0.2 * rng.standard_normal(steps) ** 2)
        curves[f"dead_frac/{layer}"] = np.clip(0.1 + 0.02 * rng.standard_normal(steps), 0, 1)
    records = []
    for step in range(steps):
        records += [_scalar(step, tag, float(curves[tag][step])) for tag in SCALAR_TAGS]
        if step % VAL_EVERY == VAL_EVERY - 1:
            floor = 0.3 + (0.8 * step / steps if overfit else 0.0)
            records.append(_scalar(step, "val/loss", floor + 2.0 * np.exp(-step / (steps / 8))))
        if step % HIST_EVERY == 0:
            for layer in LAYERS:
                records.append(_histogram(step, f"act/{layer}", np.maximum(rng.standard_normal(2048), 0)))
                records.append(_histogram(step, f"grad/{layer}", rng.standard_normal(2048) * 1e-3))
    header = _record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2"))
    (folder / f"events.out.tfevents.1700000000.bench.{seed}.0").write_bytes(header + b"".join(records))


def make_logdir(root: Path, target_mb: float, runs: int = 4) -> int:
    """~target_mb of event files in `runs` run folders; returns the bytes written."""
    steps = int(target_mb * 1e6 / runs / 790)  # ~790 B of events per step (measured)
    for i in range(runs):
        write_run(root / f"run{i}", steps, seed=i, overfit=(i == 1))
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def zip_bytes(root: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                zf.write(p, str(Path("logdir", p.relative_to(root))))
    return buf.getvalue()


def time_code_path(name: str, data: bytes) -> tuple[float, float, int]:
    """(load s, diagnose s, findings) through the reader and engine the UI calls."""
    from diagnostics import engine, reader

    t0 = time.perf_counter()
    result = reader.load_uploads([(name, data)])
    t1 = time.perf_counter()
    reports = [engine.diagnose(run) for run in result.runs]
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sum(len(r.findings) for r in reports)


def time_browser(zip_path: Path) -> tuple[float, float]:
    """Seconds from setting the file input to the first run's health summary, and to its first chart."""
    from playwright.sync_api import sync_playwright

    from tests.ui_fixtures import CHROMIUM, CHROMIUM_ARGS, served_app

    with served_app() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_text("Upload", exact=True).click()
        uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploader.wait_for(state="attached", timeout=30_000)
        t0 = time.perf_counter()
        uploader.set_input_files(str(zip_path))
        page.get_by_text("Health summary").first.wait_for(timeout=120_000)
        findings = time.perf_counter() - t0
        page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
        chart = time.perf_counter() - t0
        browser.close()
    return findings, chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the logdir in MB")
    parser.add_argument("--browser", action="store_true", help="also time a real upload in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "logdir")
        t0 = time.perf_counter()
        size = make_logdir(root, args.mb)
        data = zip_bytes(root)
        zip_path = Path(tmp, "logdir.zip")
        zip_path.write_bytes(data)
        print(f"logdir {size / 1e6:.1f} MB in 4 runs, zip {len(data) / 1e6:.1f} MB "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        load_s, diag_s, n = time_code_path(zip_path.name, data)
        total = load_s + diag_s
        print(f"code path: load_uploads {load_s:.2f} s + diagnose {diag_s:.2f} s = {total:.2f} s "
              f"({n} findings) — goal < 5 s: {'OK' if total < 5 else 'MISSED'}")
        if args.browser:
            findings, chart = time_browser(zip_path)
            print(f"browser: upload → health summary {findings:.2f} s, → first chart drawn {chart:.2f} s")


if __name__ == "__main__":
    main()
