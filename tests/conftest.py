"""Shared test set-up: one torch thread (faster for tiny models on 2 cores, and no
oversubscription), and a clear word when the project's dependencies are not installed."""
import importlib
import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

INSTALL = "pip install torch==2.13.0 && pip install -r requirements-dev.txt"
MISSING = [m for m in ("numpy", "pandas", "torch", "tensorboard", "google_crc32c", "streamlit",
                       "plotly", "playwright") if importlib.util.find_spec(m) is None]
_left_out: list[str] = []


def pytest_configure(config):
    # CI must never pass by leaving tests out: there a missing dependency is an error.
    if MISSING and os.environ.get("RUN_DOCTOR_CI") == "1":
        pytest.exit(f"missing dependencies: {', '.join(MISSING)} — run: {INSTALL}", returncode=4)


def pytest_ignore_collect(collection_path, config):
    """Without the dependencies, leave out (and name) the test modules that cannot import."""
    if not MISSING or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    try:
        importlib.import_module(f"tests.{collection_path.stem}")
    except ImportError:
        _left_out.append(collection_path.name)
        return True
    return None


def pytest_report_header(config):
    if MISSING:
        return f"run-doctor: missing {', '.join(MISSING)}; install them with: {INSTALL}"
    return None


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(
            f"LEFT OUT {len(_left_out)} test modules (missing {', '.join(MISSING)}): {INSTALL}",
            red=True)
