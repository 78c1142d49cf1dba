"""Re-runs and auto-repair on a real local Ray (no mocks): seed replicas and repair candidates fan
out as Ray tasks, cancel maps to ray.cancel, and the run folders, the job registry and lineage on
disk stay the one source of truth. One Ray for the whole session (`ray_address` in conftest).
"""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.waiting import until
from trainers.executor import LocalExecutor, RayExecutor, get_executor, wants_cuda
from trainers.jobs import CANCELLED, DONE, RUNNING, JobQueue, train_into
from trainers.lineage import lineage_tree, read_lineage
from trainers.repair import auto_repair, ends_at, read_repair, submit_repair
from trainers.rerun import submit_rerun
from trainers.scenarios import scenario_config


@pytest.fixture
def on_ray(ray_address, monkeypatch):
    """Job processes started by the queue go through Ray, joining the session's cluster."""
    monkeypatch.setenv("RUN_DOCTOR_EXECUTOR", "ray")
    monkeypatch.setenv("RUN_DOCTOR_RAY_ADDRESS", ray_address)
    return ray_address


def tiny(**overrides):
    return replace(scenario_config("lr_oscillation", 0), hist_every=0, **overrides)


def test_executor_is_chosen_by_name_or_environment(monkeypatch):
    monkeypatch.delenv("RUN_DOCTOR_EXECUTOR", raising=False)
    assert isinstance(get_executor(), LocalExecutor)
    monkeypatch.setenv("RUN_DOCTOR_EXECUTOR", "ray")
    assert isinstance(get_executor(), RayExecutor)
    assert isinstance(get_executor("local"), LocalExecutor)
    with pytest.raises(ValueError, match="executor"):
        get_executor("slurm")
    assert wants_cuda(tiny(device="cuda"), False) and wants_cuda(tiny(), True)
    assert not wants_cuda(tiny(), False) and not wants_cuda(tiny(device="cpu"), True)


@pytest.mark.slow
def test_a_three_seed_rerun_runs_on_ray_and_a_cancelled_one_is_recorded(on_ray, tmp_path):
    import ray

    parent = tmp_path / "p"
    train_into(tiny(epochs=2), parent, progress=False)  # its re-runs only have to end: 2 epochs
    queue = JobQueue(tmp_path)
    assert queue.max_parallel > 3  # each job's process only waits on its Ray task
    long = submit_rerun(queue, parent, {"epochs": 400})  # caught running, then cancelled
    seeds = [submit_rerun(queue, parent, {"lr": "×0.1"}, seed=s) for s in (0, 1, 2)]
    status = lambda: json.loads((tmp_path / long.run_dir / "status.json").read_text())  # noqa: E731
    until(lambda: (tmp_path / long.run_dir / "status.json").is_file() and status().get("step", 0) > 0,
          90, "the long run to train on Ray")
    assert queue.get(long.id).state == RUNNING
    assert queue.cancel(long.id).state == CANCELLED

    done = [queue.wait(j.id, timeout=120) for j in seeds]
    assert [j.state for j in done] == [DONE] * 3, [queue.get(j.id).log_tail() for j in seeds]
    # a cancelled Ray task ends when its worker next checks in: bounded generously for a loaded box
    until(lambda: status()["state"] == "stopped", 90, "the cancelled run to say so")
    assert queue.get(long.id).state == CANCELLED  # the registry keeps the user's word
    # Ray ran them, the folders tell it all: three seeds of one change, each with its lineage
    records = [read_lineage(j.run_dir) for j in done]
    assert [r["seed"] for r in records] == [0, 1, 2]
    assert {json.dumps(r["resolved_change"]) for r in records} == {'{"lr": 0.1}'}
    for j in done:
        status_j = json.loads((tmp_path / j.run_dir / "status.json").read_text())
        assert status_j["state"] == "done" and status_j["pid"] != queue.get(j.id).pid
    (top,) = lineage_tree(tmp_path)
    assert len(top["children"]) == 4 and top["run"] == str(parent.resolve())
    until(lambda: ray.available_resources().get("CPU", 0) == 2, 30, "the cancelled task to end", every=0.1)


@pytest.mark.slow
def test_a_parallel_repair_runs_its_remedies_side_by_side_on_ray(on_ray, tmp_path):
    parent = tmp_path / "p"
    train_into(tiny(), parent, progress=False)
    queue = JobQueue(tmp_path)
    job = submit_repair(queue, parent, "lr_oscillation", budget=2, seeds=2, parallel=2)
    job = queue.wait(job.id, timeout=180)
    assert job.state == DONE, job.log_tail()

    record = read_repair(job.run_dir)
    assert record["executor"] == "ray" and record["parallel"] == 2 and record["success"]
    first, second = record["attempts"]  # both remedies were trained at once, judged in order
    assert first["remedy_id"] == "lr_oscillation.lower_lr" and first["verdict"] == "fixed"
    assert record["ends_at"] == 0 and second["remedy_id"] == "lr_oscillation.lr_schedule"
    assert [s["seed"] for s in first["comparison"]["child"]] == [0, 1]
    assert not first["comparison"]["provisional"]
    children = [c for a in record["attempts"] for c in a["children"]] + record["replicas"]
    assert len(children) == len(set(children)) == 5  # 2 remedies x 2 seeds + 1 parent replica
    for child in children:
        assert read_lineage(child)["parent"] == "p"
        assert json.loads(open(f"{child}/status.json").read())["state"] == "done"

    # Asked again (here, in this process, on the same Ray): every child is reused, none trained.
    before = sorted(p.name for p in tmp_path.iterdir())
    again = auto_repair(parent, "lr_oscillation", budget=2, seeds=2, parallel=2, out=tmp_path,
                        executor=RayExecutor(on_ray))
    assert [a.reused for a in again] == [2, 2] and ends_at(again) == 0
    assert [a.children for a in again] == [tuple(a["children"]) for a in record["attempts"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
