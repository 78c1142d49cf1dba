"""Re-runs from the UI: can a run be re-run, would a remedy change it, submit it, and who is
whose parent under the runs root. No widgets here: components.py and the pages draw.

Everything is read from disk (the job queue under the runs root, lineage.json, repair.json,
status.json), never kept in session state, so a restarted UI or a second browser tab sees the
same jobs and children. Only the lineage index is cached, for a few seconds: walking a runs
root of ~2,000 runs takes ~0.5 s, and a submit from this process clears it at once.

Those files are data someone else may have written: lineage is followed only within
`allowed_roots()` (the runs root and the bundled samples), so a `lineage.json` naming a parent
elsewhere never makes a page read it; the node says why instead (`refused`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from diagnostics import reader
from diagnostics.model import Remedy
from diagnostics.rundata import RunData
from trainers.config import ConfigError, apply_change
from trainers.jobs import DIVERGED, DONE, FINISHED, Job, JobQueue, run_state
from trainers.lineage import lineage_tree, read_lineage
from trainers.repair import read_repair, record_dir, submit_repair
from trainers.rerun import RerunError, can_rerun, parent_config, submit_rerun
from ui import backend_zh, sources

REPAIR_BUDGET = 4  # remedies an auto-repair may train (back-end default)
REPAIR_BUDGET_RANGE = (1, 7)  # what the UI lets the user pick
REPAIR_SEEDS = 1  # seeds per tried remedy (back-end default)
REPAIR_SEEDS_RANGE = (1, 3)
NOOP = "noop"  # `blocked()`: the change leaves the config as it is
# Run states (a job's, else the trainer's status.json): finished with curves a verdict can use,
# and finished at all. Anything else (queued, running, None = not started) is still to come.
USABLE = frozenset({DONE, DIVERGED, "early_stopped"})
OVER = USABLE | FINISHED | {"stopped"}


@dataclass(frozen=True)
class Target:
    """A run as the parent of re-runs: its folder, and whether our trainer can re-run it."""

    path: str  # resolved run folder; "" for an upload (its temp folder is gone)
    key: str  # the run's stable widget-key stem
    ok: bool
    reason: str = ""  # one line, when not ok ("" for an upload: the UI words that case itself)


def target(run: RunData, key: str, lang: str = "en") -> Target:
    if not run.path:
        return Target("", key, False)
    ok, reason = can_rerun(run.path)
    return Target(str(Path(run.path).resolve()), key, ok, backend_zh.translate(reason, lang))


def blocked(path: str, change: Mapping[str, Any]) -> str | None:
    """None when applying `change` gives a different config; NOOP when it changes nothing
    (e.g. "use all the data" on a run that already does); else the one-line error."""
    try:
        base = parent_config(path)
        return NOOP if apply_change(base, change) == base else None
    except (RerunError, ConfigError) as e:
        return str(e)


def queue() -> JobQueue:
    """The runs root's queue (creates `<root>/.jobs`): only for submitting and the Jobs page."""
    return JobQueue(sources.runs_root())


def active_queue() -> JobQueue | None:
    """The queue if jobs were ever submitted under the runs root; never creates a folder, so a
    read-only logs folder shown as runs root stays untouched. None too for a registry that
    cannot be used safely (`.jobs` a symlink elsewhere): the Jobs page says why."""
    root = sources.runs_root()
    if not (root / ".jobs").is_dir():
        return None
    try:
        return JobQueue(root)
    except OSError:
        return None


def allowed_roots() -> tuple[Path, Path]:
    """Where lineage may lead: the runs root, and the bundled samples (parents of re-runs)."""
    return sources.runs_root(), sources.SAMPLES_ROOT


def submit_remedy(t: Target, remedy: Remedy) -> Job:
    job = submit_rerun(queue(), t.path, dict(remedy.change or {}), remedy_id=remedy.id)
    forget_family()
    return job


# ---- auto-repair -----------------------------------------------------------------------------
def start_repair(t: Target, rule_id: str, budget: int = REPAIR_BUDGET,
                 seeds: int = REPAIR_SEEDS) -> Job:
    budget = min(max(int(budget), REPAIR_BUDGET_RANGE[0]), REPAIR_BUDGET_RANGE[1])
    seeds = min(max(int(seeds), REPAIR_SEEDS_RANGE[0]), REPAIR_SEEDS_RANGE[1])
    return submit_repair(queue(), t.path, rule_id, budget=budget, seeds=seeds)


def repair_of(path: str, rule_id: str) -> tuple[Job | None, dict[str, Any] | None]:
    """The latest auto-repair job of this run's problem and its repair.json (either may be None)."""
    q = active_queue()
    if q is None:
        return None, None
    folder = record_dir(path, rule_id, q.root)
    job, record = q.job_for_run(folder), read_repair(folder)
    if job is not None and record is not None and (record.get("started") or 0) < job.created:
        record = None  # an earlier repair's record, until this job writes its own
    return job, record


# ---- lineage ---------------------------------------------------------------------------------
def family() -> dict[str, dict[str, Any]]:
    """Every run under the runs root, and every parent they name, by resolved path: the
    `lineage_tree` node plus "parent" (its parent's path, None for a first run). A node's
    "state" may be seconds old: ask `state(node)` for a fresh one."""
    return _family(str(sources.runs_root()))


def forget_family() -> None:
    """After creating runs: the next `family()` walks the runs root again."""
    _family.clear()


@st.cache_data(ttl=5, max_entries=4, show_spinner=False)
def _family(root_dir: str) -> dict[str, dict[str, Any]]:
    root = Path(root_dir)
    flat: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], parent: str | None) -> None:
        # Children are found by their "parent" (see `children`): no subtree copies to cache.
        flat[node["run"]] = {**node, "parent": parent, "children": ()}
        for child in node["children"]:
            walk(child, node["run"])

    for node in lineage_tree(root, within=allowed_roots()) if root.is_dir() else []:
        walk(node, None)
    return flat


def refused(flat: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs whose lineage.json was ignored (a parent outside the allowed roots), by name."""
    return sorted((n for n in flat.values() if n.get("problem")), key=lambda n: n["name"])


def is_replica(node: Mapping[str, Any]) -> bool:
    """A re-run that only changed the seed: seed noise of its parent, not a remedy."""
    return node.get("parent") is not None and set(node.get("resolved_change") or {}) <= {"seed"}


def children(flat: Mapping[str, dict[str, Any]], path: str) -> list[dict[str, Any]]:
    return [n for n in flat.values() if n["parent"] == path]


def made_for(path: str) -> dict[str, list[dict[str, Any]]]:
    """remedy id -> the re-runs of this run made with it (seed replicas aside), oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for node in children(family(), path):
        if node["remedy_id"] and not is_replica(node):
            out.setdefault(node["remedy_id"], []).append(node)
    return out


def comparable(flat: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-runs that made a change (not seed replicas) under the runs root, newest first."""
    nodes = [n for n in flat.values() if n["parent"] and not n["external"] and not is_replica(n)]
    return sorted(nodes, key=lambda n: (-(n["created"] or 0.0), n["name"]))


def group(flat: Mapping[str, dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """One config at several seeds: the run, its seed replicas, and siblings with the same
    change at another seed (auto-repair trains its extra seeds as siblings)."""
    node = flat[path]
    same = [n for n in children(flat, node["parent"]) if n["run"] != path and not is_replica(n)
            and n["resolved_change"] == node["resolved_change"]
            and seed_of(n) != seed_of(node)] if node["parent"] and not is_replica(node) else []
    return [node, *[n for n in children(flat, path) if is_replica(n)], *same]


def parent_group(flat: Mapping[str, dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """The parent and its seed replicas (the parent may lie outside the runs root: a sample)."""
    parent = flat[path]["parent"]
    return [flat[parent], *[n for n in children(flat, parent) if is_replica(n)]]


def state(node: Mapping[str, Any]) -> str | None:
    """Fresh state of a run (lineage_tree's was read when the tree was built)."""
    return run_state(node["run"])


def submit_seeds(flat: Mapping[str, dict[str, Any]], path: str, more: int = 2) -> list[Job]:
    """Re-train parent and child at `more` extra seeds each (a re-run changing only "seed"),
    so both sides of the verdict get a measured spread. Seeds already there are reused."""
    q = queue()
    target_n = max(len(_live(parent_group(flat, path))), len(_live(group(flat, path)))) + more
    jobs = []
    for side, runs in ((flat[path]["parent"], parent_group(flat, path)), (path, group(flat, path))):
        runs = _live(runs)
        have = {seed_of(n) for n in runs}
        seed = parent_config(side).seed
        for _ in range(target_n - len(runs)):
            while seed in have:
                seed += 1
            have.add(seed)
            jobs.append(submit_rerun(q, side, {"seed": seed}))
    forget_family()
    return jobs


def _live(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs that did or will finish (not failed, not cancelled)."""
    return [n for n in nodes if state(n) not in OVER - USABLE]


def seed_of(node: Mapping[str, Any]) -> int | None:
    seed = node.get("seed")
    if seed is None:
        seed = (node.get("resolved_change") or {}).get("seed")
    if seed is None:
        try:
            seed = parent_config(node["run"]).seed
        except RerunError:
            return None
    return seed


def rule_of(path: str) -> str | None:
    """The problem a re-run was made for (its remedy's rule), when it was made for one."""
    return (read_lineage(path) or {}).get("rule_id")


def load_run(path: str) -> RunData | None:
    """One run folder as RunData (the reader caches by file sizes and mtimes: a growing run is
    re-read, an unchanged one is not); None while it has no events yet."""
    try:
        runs = reader.load(path).runs
    except reader.ReaderError:
        return None
    return next((r for r in runs if Path(r.path) == Path(path)), runs[0] if runs else None)


def display_name(path: str) -> str:
    """A run's name for people: relative to the runs root or the samples, else its path."""
    p = Path(path)
    for root in (sources.runs_root(), sources.SAMPLES_ROOT):
        if p.is_relative_to(root):
            rel = p.relative_to(root).as_posix()
            return rel if root != sources.SAMPLES_ROOT else f"{root.name}/{rel}"
    return str(p)
