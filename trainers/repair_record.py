"""Auto-repair's record on disk: each attempt as a typed record, and `repair.json`, which the UI
reads while and after a repair runs.

`<out>/.repairs/<parent>.<rule>/repair.json` = {"state", "step", "total_steps", "attempts": [...],
"ends_at", "success", ...}. It is data from shared storage: `read_repair` keeps only fields of
their type.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from diagnostics.compare import RANK, Verdict
from trainers.jobs import read_json


class NotJudged(StrEnum):
    """An attempt that got no verdict."""

    SKIPPED = "skipped"  # the change would leave the parent's config as it is
    FAILED = "failed"  # its training or its judging broke


@dataclass(frozen=True)
class Attempt:
    remedy_id: str
    action: str
    change: dict[str, Any]
    resolved_change: dict[str, Any]
    children: tuple[str, ...] = ()  # run folders, one per seed
    reused: int = 0  # how many of the children already existed (trained before, not again)
    findings_after: tuple[tuple[str, ...], ...] = ()  # per child seed
    verdict: str = ""  # a Verdict, or a NotJudged
    reason_key: str = ""  # diagnostics.verdict_text key (a verdict, "skipped" or "failed")
    reason_params: dict[str, Any] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)  # rendered, en / zh, one line each
    comparison: dict[str, Any] | None = None  # Comparison.to_dict(): outcome, per-seed numbers

    @property
    def success(self) -> bool:
        """Fixed: the finding gone AND a better model (not merely contained)."""
        return self.verdict == Verdict.FIXED

    @property
    def outcome(self) -> dict[str, Any]:
        return (self.comparison or {}).get("outcome") or {}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["children"] = list(self.children)
        d["findings_after"] = [list(f) for f in self.findings_after]
        d["verdict"] = str(self.verdict)
        return d


def ends_at(attempts: list[Attempt]) -> int | None:
    """The attempt a repair ends at: the first fixed one; else the one that made the model
    best (improved before contained, then by how much better); None when none helped."""
    for i, a in enumerate(attempts):
        if a.success:
            return i
    helped = [(RANK[Verdict(a.verdict)], _better_by(a), -i) for i, a in enumerate(attempts)
              if a.verdict in (Verdict.IMPROVED, Verdict.CONTAINED)]
    return -max(helped)[2] if helped else None


def _better_by(a: Attempt) -> float:
    value = a.outcome.get("better_by")
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else math.inf


def record_dir(parent: str | os.PathLike[str], rule_id: str, out: str | os.PathLike[str]) -> Path:
    """Where one repair of one problem of one parent keeps repair.json (and its job.log)."""
    return Path(out).resolve() / ".repairs" / f"{Path(parent).resolve().name}.{rule_id}"


def read_repair(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A repair.json (or the folder holding it), None while it does not exist. It is data from
    shared storage: no symlink is followed, and a field of the wrong type is dropped (an
    attempt that is not an object, too), so the pages that draw it never meet a surprise."""
    path = Path(path)
    path = path / "repair.json" if path.is_dir() else path
    record = read_json(path)
    if record is None:
        return None
    record = _typed(record, _RECORD_TYPES)
    attempts = record.get("attempts")
    record["attempts"] = [_typed(a, _ATTEMPT_TYPES) for a in attempts if isinstance(a, dict)] \
        if isinstance(attempts, list) else []
    for a in record["attempts"]:
        a["children"] = [c for c in a.get("children") or [] if isinstance(c, str)]
        a["reason"] = {k: v for k, v in (a.get("reason") or {}).items() if isinstance(v, str)}
    return record


_NUMBER = (int, float)
_RECORD_TYPES: dict[str, tuple[type, ...]] = {
    "state": (str,), "error": (str,), "current": (str,), "parent": (str,), "rule_id": (str,),
    "step": _NUMBER, "total_steps": _NUMBER, "started": _NUMBER, "finished": _NUMBER,
    "replicas": (list,), "parent_findings": (list,), "success": (bool,), "ends_at": (int,),
    "parallel": (int,), "executor": (str,), "reused": (int,)}
_ATTEMPT_TYPES: dict[str, tuple[type, ...]] = {
    "remedy_id": (str,), "action": (str,), "verdict": (str,), "change": (dict,),
    "resolved_change": (dict,), "children": (list,), "findings_after": (list,),
    "reason": (dict,), "comparison": (dict,), "reason_key": (str,), "reason_params": (dict,),
    "reused": (int,)}


def _typed(data: dict[str, Any], types: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """`data` without the listed keys whose value is not of their type (NaN/inf are no numbers)."""
    def ok(key: str, value: Any) -> bool:
        want = types.get(key)
        if want is None or value is None:
            return True
        if want is _NUMBER:
            return isinstance(value, _NUMBER) and not isinstance(value, bool) \
                and math.isfinite(value)
        return isinstance(value, want)

    return {k: v for k, v in data.items() if ok(k, v)}
