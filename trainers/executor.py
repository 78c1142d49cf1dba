"""Where trainings run: one interface, local by default, Ray when asked.

    local  (default) each training in the calling process, one after another; background jobs
           stay processes of the on-disk queue (`trainers.jobs`), as ever
    ray    each training is a Ray task (`num_gpus=1` when the config wants CUDA and the cluster
           has GPUs); several run side by side; cancel is `ray.cancel`

Chosen by `--executor` or `RUN_DOCTOR_EXECUTOR` (local | ray). `RUN_DOCTOR_RAY_ADDRESS` names
the cluster (`ray://host:10001`, `auto`, or a GCS `host:port`); unset, a local Ray is started on
demand, bound to 127.0.0.1, and ends with the process that started it. A process that has
already called `ray.init` (a test, a notebook) is used as it is.

Whatever runs a training, the run folder (its config, `status.json`, events, `lineage.json`),
the job registry and the lineage on disk stay the one source of truth: an executor only trains
a config into a folder chosen and recorded before it starts. On a cluster, the runs folder must
be shared storage every node mounts at the same path, and this repository importable there.
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from trainers.confine import REPO, read_json
from trainers.run_state import FAILED, STOPPED, RunState, run_state_of

EXECUTOR_ENV, ADDRESS_ENV = "RUN_DOCTOR_EXECUTOR", "RUN_DOCTOR_RAY_ADDRESS"
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class TrainSpec:
    """One training: a `TrainConfig` into a folder that already exists (lineage written)."""

    config: Any  # TrainConfig
    run_dir: Path


@dataclass(frozen=True)
class TrainOutcome:
    run_dir: Path
    state: RunState | None  # the trainer's final state from status.json; FAILED on a crash
    error: str = ""


Done = Callable[[TrainOutcome], None]


class Executor(ABC):
    name: ClassVar[str]

    @property
    @abstractmethod
    def width(self) -> int:
        """How many trainings run at once."""

    @abstractmethod
    def run(self, specs: Sequence[TrainSpec], on_done: Done | None = None) -> list[TrainOutcome]:
        """Train every spec; block until all ended; outcomes in the order of `specs`.
        `on_done` is called as each one ends. An interrupt (SIGTERM as SystemExit, Ctrl-C)
        stops what still runs, records it as stopped, and is raised again."""


class LocalExecutor(Executor):
    """One training after another, in this process (today's behaviour)."""

    name = "local"

    @property
    def width(self) -> int:
        return 1

    def run(self, specs: Sequence[TrainSpec], on_done: Done | None = None) -> list[TrainOutcome]:
        from trainers.train_job import train_into

        out = []
        for spec in specs:
            try:
                train_into(spec.config, spec.run_dir, progress=False)
                outcome = TrainOutcome(spec.run_dir, final_state(spec.run_dir))
            except Exception as e:  # noqa: BLE001 - one broken training must not end the rest
                outcome = TrainOutcome(spec.run_dir, FAILED, f"{type(e).__name__}: {e}"[:300])
            out.append(outcome)
            if on_done is not None:
                on_done(outcome)
        return out


class RayExecutor(Executor):
    """Each training a Ray task; all of them submitted at once, Ray schedules them."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get(ADDRESS_ENV) or None

    def connect(self) -> Any:
        """The `ray` module, connected: the process's own Ray if it has one, else the cluster at
        `address`, else a local Ray started now, bound to 127.0.0.1."""
        if self.address is None:  # read by ray at import: a local node on the loopback only
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray

        if not ray.is_initialized():
            env = {"PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            options: dict[str, Any] = dict(runtime_env={"env_vars": env}, log_to_driver=False,
                                           ignore_reinit_error=True)
            if self.address is None:
                ray.init(address="local", include_dashboard=False, **options)
            else:
                ray.init(address=self.address, **options)
        return ray

    @property
    def width(self) -> int:
        ray = self.connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def run(self, specs: Sequence[TrainSpec], on_done: Done | None = None) -> list[TrainOutcome]:
        ray = self.connect()
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        task = ray.remote(_train_task)
        refs = {task.options(num_cpus=1, num_gpus=1 if wants_cuda(s.config, gpus) else 0,
                             max_retries=0, name=f"run-doctor:{s.run_dir.name}")
                .remote(s.config.to_json(), str(s.run_dir)): s for s in specs}
        done: dict[Path, TrainOutcome] = {}
        pending = list(refs)
        try:
            while pending:
                # A short wait, so a SIGTERM (cancel) is handled between two looks.
                ready, pending = ray.wait(pending, num_returns=1, timeout=1.0)
                for ref in ready:
                    outcome = _collect(ray, ref, refs[ref])
                    done[outcome.run_dir] = outcome
                    if on_done is not None:
                        on_done(outcome)
        except BaseException:
            for ref in pending:  # cancel: the tasks still running end now
                ray.cancel(ref, force=True)
            for ref in pending:
                mark_stopped(refs[ref].run_dir)
            # A forced cancel is asynchronous: a worker may still end an epoch and write
            # "running" over the mark. Once the tasks are gone (or after a short wait), mark again.
            ray.wait(pending, num_returns=len(pending), timeout=2.0)  # inside the 3 s SIGTERM grace
            for ref in pending:
                mark_stopped(refs[ref].run_dir)
            raise
        return [done[s.run_dir] for s in specs]


def _train_task(config_json: str, run_dir: str) -> str:
    """What a Ray worker runs: our trainer, into the folder chosen before (module-level, so
    Ray pickles it by reference to this module)."""
    from trainers.config import TrainConfig
    from trainers.train_job import train_into

    result = train_into(TrainConfig.from_json(config_json), run_dir, progress=False)
    return str(result.state)


def _collect(ray: Any, ref: Any, spec: TrainSpec) -> TrainOutcome:
    try:
        ray.get(ref)
    except Exception as e:  # noqa: BLE001 - a task's crash is that run's outcome
        line = (str(e).strip().splitlines() or [type(e).__name__])[-1]
        return TrainOutcome(spec.run_dir, FAILED, line[:300])
    return TrainOutcome(spec.run_dir, final_state(spec.run_dir))


def wants_cuda(config: Any, cluster_has_gpus: bool) -> bool:
    device = getattr(config, "device", "auto")
    return device == "cuda" or (device == "auto" and cluster_has_gpus)


def final_state(run_dir: Path) -> RunState | None:
    return run_state_of((read_json(Path(run_dir) / "status.json") or {}).get("state"))


def mark_stopped(run_dir: Path) -> None:
    """A training killed from outside cannot say so itself: its status.json is set to
    "stopped" (when it still says running), so the folder tells the truth."""
    from trainers.jobs import write_json

    path = Path(run_dir) / "status.json"
    status = read_json(path)
    if status is not None and status.get("state") == "running":
        write_json(path, {**status, "state": str(STOPPED), "finished": time.time()})


def executor_name(name: str | None = None) -> str:
    name = (name or os.environ.get(EXECUTOR_ENV) or "local").strip().lower()
    if name not in EXECUTORS:
        raise ValueError(f"executor: expected one of {', '.join(EXECUTORS)}, got {name!r}")
    return name


def get_executor(name: str | None = None) -> Executor:
    """The executor `name` (else RUN_DOCTOR_EXECUTOR, else local)."""
    return RayExecutor() if executor_name(name) == "ray" else LocalExecutor()
