"""Lineage: which run a re-run came from and what it changed, as `lineage.json` in the child.

The record is written before the child trains, so a killed or crashed child still says where it
came from. The parent is stored relative to the folder holding the child when it lives there
too (so a runs root can be moved or copied whole), else as an absolute path.

Trust model: a `lineage.json` in a shared runs root may have been written by someone else.
`read_lineage` reads it without following a symlink and keeps only fields of the right type
(else the record is ignored). Readers that serve the UI pass `within` (the runs root and the
bundled samples): a parent that resolves (symlinks and `..` followed) outside those is never
read; the run is treated as a first run and `lineage_tree` reports why in its node's "problem".
`within=None` trusts every path, for the command line on the user's own files.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from diagnostics import run_dirs
from trainers.confine import OutsideRoot, confined, read_json
from trainers.jobs import run_state

LINEAGE_FILE = "lineage.json"
Roots = Iterable[str | os.PathLike[str]] | None


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
    """The run's lineage record, each field of its type; None when there is none or it is
    malformed (no symlink followed, at most 1 MB)."""
    data = read_json(Path(run) / LINEAGE_FILE, 1024 * 1024)
    if data is None or not isinstance(data.get("parent"), str) or not data["parent"]:
        return None
    created = data.get("created")
    return {"parent": data["parent"],
            "change": _mapping(data.get("change")),
            "resolved_change": _mapping(data.get("resolved_change")),
            "remedy_id": _text(data.get("remedy_id")), "rule_id": _text(data.get("rule_id")),
            "seed": data["seed"] if _integer(data.get("seed")) else None,
            "created": float(created) if _number(created) else 0.0}


def resolve_parent(run: str | os.PathLike[str], record: Mapping[str, Any],
                   within: Roots = None) -> Path:
    """The record's parent as a resolved path; OutsideRoot if `within` is given and it lies
    outside all of those roots."""
    stored = Path(record["parent"])
    path = stored if stored.is_absolute() else Path(run).resolve().parent / stored
    if within is None:
        return path.resolve()
    try:
        return confined(path, within)
    except OutsideRoot as e:
        raise OutsideRoot(f"parent: {e}") from None


def parent_of(run: str | os.PathLike[str], within: Roots = None) -> Path | None:
    record = read_lineage(run)
    if record is None:
        return None
    try:
        return resolve_parent(run, record, within)
    except OutsideRoot:
        return None


def ancestors(run: str | os.PathLike[str], within: Roots = None) -> list[Path]:
    """The parent, the grandparent, ... up to the first run that is not a re-run."""
    within = None if within is None else list(within)
    chain: list[Path] = []
    seen = {Path(run).resolve()}
    current = parent_of(run, within)
    while current is not None and current not in seen:  # a hand-edited cycle must not hang
        chain.append(current)
        seen.add(current)
        current = parent_of(current, within)
    return chain


def find_runs(root: str | os.PathLike[str]) -> list[Path]:
    """Run folders under root, resolved, depth first in name order: ours (config.json,
    status.json or lineage.json, with or without events yet) and any other folder of event
    files (`run_dirs`: the definition the reader and the app's list of runs use too)."""
    return [f.path.resolve() for f in run_dirs.run_folders(root)]


def lineage_tree(root: str | os.PathLike[str], within: Roots = None) -> list[dict[str, Any]]:
    """The runs under root as a forest: [{"run", "name", "change", "resolved_change",
    "remedy_id", "seed", "state", "external", "missing", "problem", "children": [...]}, ...].

    A parent outside root (e.g. a sample run) or one deleted since is still a node, flagged
    "external" / "missing", so its re-runs keep hanging together. With `within`, a parent
    outside those roots is not a node: its child becomes a first run whose "problem" says why.
    """
    root = Path(root).resolve()
    within = None if within is None else list(within)
    nodes: dict[Path, dict[str, Any]] = {}

    def node(path: Path, record: dict[str, Any] | None = None) -> dict[str, Any]:
        if path not in nodes:
            record = record if record is not None else read_lineage(path) or {}
            inside = path.is_relative_to(root)
            nodes[path] = {"run": str(path), "name": path.relative_to(root).as_posix()
                           if inside else str(path), "change": record.get("change"),
                           "resolved_change": record.get("resolved_change"),
                           "remedy_id": record.get("remedy_id"), "seed": record.get("seed"),
                           "created": record.get("created", 0.0), "state": run_state(path),
                           "external": not inside, "missing": not path.is_dir(), "problem": "",
                           "children": []}
        return nodes[path]

    for run in find_runs(root):
        record = read_lineage(run)
        this = node(run, record)
        if record is None:
            continue
        try:
            parent = resolve_parent(run, record, within)
        except OutsideRoot as e:
            this["problem"] = f"lineage.json ignored: {e}"
            continue
        if parent != run:
            node(parent)["children"].append(this)
    for n in nodes.values():
        n["children"].sort(key=lambda c: (c["created"], c["name"]))
    attached = {id(c) for n in nodes.values() for c in n["children"]}
    return sorted((n for n in nodes.values() if id(n) not in attached), key=lambda n: n["name"])


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 200 else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 63
