"""Helpers shared by the UI tests and the upload benchmark: archives and a served app."""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BIRD_LOGS = REPO.parent / "shared" / "reallogs" / "bishalrocks1234__Bird-Classifier" / "logs"
HAVE_REALLOGS = BIRD_LOGS.is_dir()
# What the upload tests send: a real Keras logdir (train/ + validation/) when the shared corpus
# sits beside the checkout, else one of our committed sample runs, so a bare clone still tests it.
UPLOAD_LOGS = BIRD_LOGS if HAVE_REALLOGS else REPO / "sample_runs" / "overfitting"


def zip_dir(folder: Path, arc_root: str | None = None) -> bytes:
    """A .zip of `folder`, its entries under `arc_root/` (default: the folder's name)."""
    arc_root = folder.name if arc_root is None else arc_root
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, str(Path(arc_root, path.relative_to(folder))))
    return buf.getvalue()


def zip_slip() -> bytes:
    """A zip whose only event file would land outside the extraction folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil/events.out.tfevents.1.host", b"\x00" * 64)
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_app(timeout: float = 40.0, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free local port; yields its URL; kills the process group."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not become healthy")
            time.sleep(0.2)
        yield url
    finally:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the session's process group (streamlit may have children), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


ARTIFACTS = REPO / "test-artifacts"  # screenshots (gitignored)


def need_chromium() -> None:
    """Skip without Debian's chromium, unless CI said the browser tests must run."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("RUN_DOCTOR_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " and RUN_DOCTOR_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (import this fixture into the module)."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
