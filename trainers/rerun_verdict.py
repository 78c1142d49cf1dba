"""The verdict of one re-run against its parent, every finished seed of both sides: what the
comparison page shows (it decides nothing itself).

Sides come from the family (`trainers.family`): the parent and its seed replicas, the re-run and
its seed siblings. A side's seed still training is pending: the verdict takes it in when it ends.
The problem judged is the one the re-run was made for (its lineage's rule), else the parent's
fix-first finding.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from diagnostics.compare import Comparison, judge
from diagnostics.rundata import RunData
from trainers.family import Family, usable
from trainers.lineage import read_lineage
from trainers.run_state import OVER


@dataclass(frozen=True)
class RerunVerdict:
    comparison: Comparison | None  # None: a side has no finished run to judge yet
    parents: tuple[RunData, ...]
    children: tuple[RunData, ...]
    pending: tuple[str, ...]  # run folders of either side still to finish
    rule_id: str


def judge_rerun(flat: Family, path: str,
                load: Callable[[str], RunData | None]) -> RerunVerdict:
    """Judge the re-run at `path`; `load` reads a run folder (the UI passes its cached loader)."""
    base = flat[path].parent
    sides = {"parent": flat.parent_group(path), "child": flat.group(path)}
    states = {n.run: n.fresh_state() for nodes in sides.values() for n in nodes}
    runs = {side: tuple(r for n in nodes
                        if usable(n, states[n.run], first_parent=n.run == base)
                        and (r := load(n.run)) is not None)
            for side, nodes in sides.items()}
    pending = tuple(r for r, s in states.items() if s not in OVER and r != base)
    rule = (read_lineage(path) or {}).get("rule_id")
    if not runs["parent"] or not runs["child"]:
        return RerunVerdict(None, runs["parent"], runs["child"], pending, rule or "none")
    if rule is None:
        from diagnostics.engine import diagnose

        first = diagnose(runs["parent"][0]).fix_first
        rule = first.rule_id if first else "none"
    return RerunVerdict(judge(runs["parent"], runs["child"], rule), runs["parent"],
                        runs["child"], pending, rule)
