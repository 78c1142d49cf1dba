"""Re-runs from the UI: can a run be re-run, would a remedy change it, submit it, and who is
whose parent under the runs root. No widgets here: components.py and the pages draw.

Everything is read from disk (the job queue under the runs root, lineage.json, repair.json,
status.json), never kept in session state, so a restarted UI or a second browser tab sees the
same jobs and children. Only the lineage index is cached, for a few seconds: walking a runs
root of ~2,000 runs takes ~0.5 s, and a submit from this process clears it at once. A run's
state comes from the queue's job index (`trainers.run_status.INDEX`: the job files read once
per change of the queue, not once per run), its curves from the Diagnose page's loader
(`sources.load_path`).

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

from diagnostics.messages import as_msg, render
from diagnostics.model import Remedy
from diagnostics.rundata import RunData
from trainers.config import ConfigError, apply_change
from trainers.family import Family, RunNode, live
from trainers.jobs import OVER, USABLE, Job, JobQueue, RunState, run_state  # noqa: F401
from trainers.lineage import read_lineage
from trainers.repair import BUDGET, SEEDS, read_repair, record_dir, submit_repair
from trainers.rerun import RerunError, can_rerun, parent_config, submit_rerun
from ui import sources

REPAIR_BUDGET = BUDGET  # remedies an auto-repair may train (the back-end's default)
REPAIR_BUDGET_RANGE = (1, 7)  # what the UI lets the user pick
REPAIR_SEEDS = SEEDS  # seeds per tried remedy (the back-end's default)
REPAIR_SEEDS_RANGE = (1, 3)
FAN_OUT = 3  # "try the first 3 remedies × 3 seeds": remedies and seeds at once
NOOP = "noop"  # `blocked()`: the change leaves the config as it is


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
    return Target(str(Path(run.path).resolve()), key, ok, render(reason, lang))


def blocked(path: str, change: Mapping[str, Any]) -> str | None:
    """None when applying `change` gives a different config; NOOP when it changes nothing
    (e.g. "use all the data" on a run that already does); else the one-line error."""
    try:
        base = parent_config(path)
        return NOOP if apply_change(base, change) == base else None
    except (RerunError, ConfigError) as e:
        return as_msg(e) or str(e)  # keeps its key: the page words it in its language


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
                 seeds: int = REPAIR_SEEDS, parallel: int = 1) -> Job:
    budget = min(max(int(budget), REPAIR_BUDGET_RANGE[0]), REPAIR_BUDGET_RANGE[1])
    seeds = min(max(int(seeds), REPAIR_SEEDS_RANGE[0]), REPAIR_SEEDS_RANGE[1])
    kw = {"parallel": parallel} if parallel > 1 else {}
    return submit_repair(queue(), t.path, rule_id, budget=budget, seeds=seeds, **kw)


def start_fan_out(t: Target, rule_id: str) -> Job:
    """The first FAN_OUT remedies × FAN_OUT seeds trained side by side (with Ray: at once on
    the cluster), then judged in the documents' order."""
    return start_repair(t, rule_id, budget=FAN_OUT, seeds=FAN_OUT, parallel=FAN_OUT)


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
def family() -> Family:
    """Every run under the runs root, and every parent they name, by resolved path (typed
    `RunNode`s, `trainers.family`). A node's `state` may be seconds old: `state(node)` is now."""
    return _family(str(sources.runs_root()))


def forget_family() -> None:
    """After creating runs: the next `family()` walks the runs root again."""
    _family.clear()


@st.cache_data(ttl=5, max_entries=4, show_spinner=False)
def _family(root_dir: str) -> Family:
    return Family.read(root_dir, within=allowed_roots())


def made_for(path: str) -> dict[str, list[RunNode]]:
    """remedy id -> the re-runs of this run made with it (seed replicas aside), oldest first."""
    return family().made_for(path)


def state(node: RunNode) -> RunState | None:
    """Fresh state of a run (the family's was read when it was built)."""
    return node.fresh_state()


def submit_seeds(flat: Family, path: str, more: int = 2) -> list[Job]:
    """Re-train parent and child at `more` extra seeds each (a re-run changing only "seed"),
    so both sides of the verdict get a measured spread. Seeds already there are reused."""
    q = queue()
    sides = ((flat[path].parent, live(flat.parent_group(path))), (path, live(flat.group(path))))
    target_n = max(len(nodes) for _, nodes in sides) + more
    jobs = []
    for side, nodes in sides:
        have = {n.config_seed for n in nodes}
        seed = parent_config(side).seed
        for _ in range(target_n - len(nodes)):
            while seed in have:
                seed += 1
            have.add(seed)
            jobs.append(submit_rerun(q, side, {"seed": seed}))
    forget_family()
    return jobs


def rule_of(path: str) -> str | None:
    """The problem a re-run was made for (its remedy's rule), when it was made for one."""
    return (read_lineage(path) or {}).get("rule_id")


def load_run(path: str) -> RunData | None:
    """One run folder as RunData, read by the loader the Diagnose page uses (`sources.load_path`:
    a growing run is re-read, an unchanged one is not); None while it has no events yet, when it
    cannot be read, or when it lies outside the runs root and the samples."""
    loaded = sources.load_path(path)
    runs = loaded.runs if loaded is not None else ()
    return next((r for r in runs if Path(r.path) == Path(path)), runs[0] if runs else None)


def display_name(path: str) -> str:
    """A run's name for people: relative to the runs root or the samples, else its path."""
    p = Path(path)
    for root in (sources.runs_root(), sources.SAMPLES_ROOT):
        if p.is_relative_to(root):
            rel = p.relative_to(root).as_posix()
            return rel if root != sources.SAMPLES_ROOT else f"{root.name}/{rel}"
    return str(p)
