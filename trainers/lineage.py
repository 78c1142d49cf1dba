"""Lineage: which run a re-run came from and what it changed, as `lineage.json` in the child.

The record is written before the child trains, so a killed or crashed child still says where it
came from. The parent is stored relative to the folder holding the child when it lives there
too (so a runs root can be moved or copied whole), else as an absolute path.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainers.jobs import run_state

LINEAGE_FILE = "lineage.json"
_RUN_MARKERS = ("config.json", LINEAGE_FILE, "status.json")


def write_lineage(child: str | os.PathLike[str], *, parent: str | os.PathLike[str],
                  change: Mapping[str, Any], resolved_change: Mapping[str, Any],
                  remedy_id: str | None = None, rule_id: str | None = None,
                  seed: int | None = None) -> dict[str, Any]:
    child, parent = Path(child).resolve(), Path(parent).resolve()
    try:
        stored = parent.relative_to(child.parent).as_posix()
    except ValueError:
        stored = str(parent)
    record = {"parent": stored, "change": dict(change), "resolved_change": dict(resolved_change),
              "remedy_id": remedy_id, "rule_id": rule_id, "seed": seed, "created": time.time()}
    tmp = child / f".{LINEAGE_FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, child / LINEAGE_FILE)
    return record


def read_lineage(run: str | os.PathLike[str]) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(run) / LINEAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "parent" in data else None


def parent_of(run: str | os.PathLike[str]) -> Path | None:
    record = read_lineage(run)
    if record is None:
        return None
    stored = Path(record["parent"])
    return stored if stored.is_absolute() else (Path(run).resolve().parent / stored).resolve()


def ancestors(run: str | os.PathLike[str]) -> list[Path]:
    """The parent, the grandparent, ... up to the first run that is not a re-run."""
    chain: list[Path] = []
    seen = {Path(run).resolve()}
    current = parent_of(run)
    while current is not None and current not in seen:  # a hand-edited cycle must not hang
        chain.append(current)
        seen.add(current)
        current = parent_of(current)
    return chain


def find_runs(root: str | os.PathLike[str]) -> list[Path]:
    """Run folders under root (our trainer's or re-runs), skipping hidden folders like .jobs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "checkpoints")
        if any(m in filenames for m in _RUN_MARKERS):
            found.append(Path(dirpath).resolve())
    return found


def lineage_tree(root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The runs under root as a forest: [{"run", "name", "change", "resolved_change",
    "remedy_id", "seed", "state", "external", "missing", "children": [...]}, ...].

    A parent outside root (e.g. a sample run) or one deleted since is still a node, flagged
    "external" / "missing", so its re-runs keep hanging together.
    """
    root = Path(root).resolve()
    nodes: dict[Path, dict[str, Any]] = {}

    def node(path: Path) -> dict[str, Any]:
        if path not in nodes:
            record = read_lineage(path) or {}
            inside = path.is_relative_to(root)
            nodes[path] = {"run": str(path), "name": path.relative_to(root).as_posix()
                           if inside else str(path), "change": record.get("change"),
                           "resolved_change": record.get("resolved_change"),
                           "remedy_id": record.get("remedy_id"), "seed": record.get("seed"),
                           "created": record.get("created", 0.0), "state": run_state(path),
                           "external": not inside, "missing": not path.is_dir(), "children": []}
        return nodes[path]

    for run in find_runs(root):
        this, parent = node(run), parent_of(run)
        if parent is not None and parent != run:
            node(parent)["children"].append(this)
    for n in nodes.values():
        n["children"].sort(key=lambda c: (c["created"], c["name"]))
    attached = {id(c) for n in nodes.values() for c in n["children"]}
    return sorted((n for n in nodes.values() if id(n) not in attached), key=lambda n: n["name"])
