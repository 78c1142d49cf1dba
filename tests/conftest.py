"""Shared test set-up: one torch thread (faster for tiny models on 2 cores, and no
oversubscription), and a clear word when the project's dependencies are not installed."""
import gc
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
                       "plotly", "playwright", "ray", "lightning", "transformers",
                       "accelerate") if importlib.util.find_spec(m) is None]
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


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    """Collecting imports every test module: torch, Lightning, transformers, Ray, Streamlit,
    pandas, ~0.5 M objects that live until the end, and hardly any garbage. No full collection
    while they are imported; then they are frozen, so that the collector's full passes (a few
    dozen in a run, ~0.3 s each) and the interpreter's passes at exit skip them. Garbage made
    from here on is collected as ever."""
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


def pytest_report_header(config):
    if MISSING:
        return f"run-doctor: missing {', '.join(MISSING)}; install them with: {INSTALL}"
    return None


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(
            f"LEFT OUT {len(_left_out)} test modules (missing {', '.join(MISSING)}): {INSTALL}",
            red=True)


class ScenarioRuns:
    """`runs[name, seed]`: the named scenario trained at that seed (a `TrainResult`, history in
    memory), on first use, in this process, once for the session, all in one temp folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir, self.done = out_dir, {}

    def __getitem__(self, key: tuple[str, int]):
        if key not in self.done:
            from trainers.loop import train
            from trainers.scenarios import scenario_config

            name, seed = key
            self.done[key] = train(scenario_config(name, seed), self.out_dir, progress=False, run_name=name)
        return self.done[key]


@pytest.fixture(scope="session")
def scenario_runs(tmp_path_factory):
    """Scenario runs shared by the session: the scenarios' own tests judge all 21 (3 seeds),
    the diagnosis CLI and auto-repair read copies of some seed-0 folders."""
    return ScenarioRuns(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="session")
def batch16_rerun(tmp_path_factory):
    """The lr_oscillation sample re-run at batch size 16 (90 steps an epoch instead of 23),
    trained once, in this process, for every test that compares runs of different steps per
    epoch. Copy the folder into a runs root: its lineage.json names the sample by absolute path."""
    from trainers.rerun import rerun

    sample = REPO / "sample_runs" / "lr_oscillation"
    if not sample.is_dir():
        pytest.skip("sample_runs/ not generated yet (python -m trainers)")
    result = rerun(sample, {"batch_size": 16}, out=tmp_path_factory.mktemp("batch16"), progress=False)
    assert result.state == "done", result.state
    return result.run_dir


@pytest.fixture(scope="session")
def ray_address():
    """One real local Ray for the whole test session (starting one takes ~10 s), bound to
    127.0.0.1 and sized like this box (2 CPUs); its GCS address, for job processes to join."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read by ray at import
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    ray.init(address="local", include_dashboard=False, num_cpus=2, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}})
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
