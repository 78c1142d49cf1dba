"""The runs under a runs root as a typed family: who is whose parent, which runs are seed replicas
of one config, and which runs each side of a verdict holds.

`lineage.lineage_tree` walks the folder; `Family` flattens it into `RunNode` records by resolved
path. Seed grouping lives here, not in the pages: a re-run that only changed "seed" is a seed
replica of its parent; re-runs of one parent with the same change at another seed (auto-repair
trains its extra seeds as siblings) are seeds of the same config.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainers.jobs import run_state
from trainers.lineage import Roots, lineage_tree
from trainers.run_state import OVER, USABLE, RunState, run_state_of


@dataclass(frozen=True)
class RunNode:
    run: str  # resolved run folder
    name: str  # relative to the runs root, else the path
    parent: str | None = None  # the parent's resolved folder; None for a first run
    change: Mapping[str, Any] = field(default_factory=dict)
    resolved_change: Mapping[str, Any] = field(default_factory=dict)
    remedy_id: str | None = None
    seed: int | None = None  # the seed override of a re-run (None: the parent's)
    created: float = 0.0
    state: RunState | None = None  # when the family was read: ask `fresh_state()` for now
    external: bool = False  # outside the runs root (e.g. a bundled sample parent)
    missing: bool = False  # named as a parent, deleted since
    problem: str = ""  # why its lineage.json was ignored

    @property
    def is_replica(self) -> bool:
        """A re-run that only changed the seed: seed noise of its parent, not a remedy."""
        return self.parent is not None and set(self.resolved_change) <= {"seed"}

    def fresh_state(self) -> RunState | None:
        return run_state(self.run)

    @property
    def config_seed(self) -> int | None:
        """The seed it trained with: its override, else its own config.json's."""
        seed = self.seed if self.seed is not None else self.resolved_change.get("seed")
        if seed is None:
            from trainers.rerun import RerunError, parent_config

            try:
                seed = parent_config(self.run).seed
            except RerunError:
                return None
        return seed


class Family(Mapping[str, RunNode]):
    """Every run under a runs root, and every parent they name, by resolved path."""

    def __init__(self, nodes: Mapping[str, RunNode]) -> None:
        self._nodes = dict(nodes)

    @classmethod
    def read(cls, root: str | os.PathLike[str], within: Roots = None) -> Family:
        root = Path(root)
        flat: dict[str, RunNode] = {}

        def walk(node: dict[str, Any], parent: str | None) -> None:
            flat[node["run"]] = RunNode(
                run=node["run"], name=node["name"], parent=parent,
                change=dict(node.get("change") or {}),
                resolved_change=dict(node.get("resolved_change") or {}),
                remedy_id=node.get("remedy_id"), seed=node.get("seed"),
                created=node.get("created") or 0.0, state=run_state_of(node.get("state")),
                external=bool(node.get("external")), missing=bool(node.get("missing")),
                problem=node.get("problem") or "")
            for child in node["children"]:
                walk(child, node["run"])

        for top in lineage_tree(root, within=within) if root.is_dir() else []:
            walk(top, None)
        return cls(flat)

    def __getitem__(self, path: str) -> RunNode:
        return self._nodes[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def nodes(self) -> list[RunNode]:
        return list(self._nodes.values())

    def children(self, path: str) -> list[RunNode]:
        return [n for n in self._nodes.values() if n.parent == path]

    def refused(self) -> list[RunNode]:
        """Runs whose lineage.json was ignored (a parent outside the allowed roots), by name."""
        return sorted((n for n in self._nodes.values() if n.problem), key=lambda n: n.name)

    def made_for(self, path: str) -> dict[str, list[RunNode]]:
        """remedy id -> the re-runs of this run made with it (seed replicas aside), oldest first."""
        out: dict[str, list[RunNode]] = {}
        for node in self.children(path):
            if node.remedy_id and not node.is_replica:
                out.setdefault(node.remedy_id, []).append(node)
        return out

    def comparable(self) -> list[RunNode]:
        """Re-runs that made a change (not seed replicas) under the runs root, newest first."""
        nodes = [n for n in self._nodes.values()
                 if n.parent and not n.external and not n.is_replica]
        return sorted(nodes, key=lambda n: (-(n.created or 0.0), n.name))

    def group(self, path: str) -> list[RunNode]:
        """One config at several seeds: the run, its seed replicas, and siblings with the same
        change at another seed."""
        node = self._nodes[path]
        same = [n for n in self.children(node.parent) if n.run != path and not n.is_replica
                and dict(n.resolved_change) == dict(node.resolved_change)
                and n.config_seed != node.config_seed] \
            if node.parent and not node.is_replica else []
        return [node, *[n for n in self.children(path) if n.is_replica], *same]

    def parent_group(self, path: str) -> list[RunNode]:
        """The parent and its seed replicas (the parent may lie outside the runs root)."""
        parent = self._nodes[path].parent
        return [self._nodes[parent], *[n for n in self.children(parent) if n.is_replica]]


def live(nodes: list[RunNode]) -> list[RunNode]:
    """Runs that did or will finish (not failed, not cancelled, not stopped)."""
    return [n for n in nodes if n.fresh_state() not in OVER - USABLE]


def usable(node: RunNode, state: RunState | None, *, first_parent: bool = False) -> bool:
    """Its curves can be judged: finished well, or (a parent that is not our job, e.g. a
    sample) with no status at all."""
    return state in USABLE or (first_parent and state is None)
