"""Core types of a diagnosis: what a rule finds, the evidence behind it, and what to do about it.

Measuring and judging are kept apart: an `Evidence` holds one measured statistic next to the
named threshold it was judged against, so a user (and the UI) can see why a rule fired.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diagnostics.rundata import RunPart


class Severity(IntEnum):
    """Lower is worse; findings of equal diagnostic rank sort by severity."""

    CRITICAL = 0
    WARNING = 1
    INFO = 2


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """One measured statistic on one tag over a step window, judged against a threshold."""

    tag: str
    steps: tuple[int, int]
    statistic: str
    value: float
    threshold: float
    # Optional extra points worth drawing (e.g. the step of the val-loss minimum).
    marks: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "steps": list(self.steps),
            "statistic": self.statistic,
            "value": plain_number(self.value),
            "threshold": plain_number(self.threshold),
            "marks": {k: plain_number(v) for k, v in self.marks.items()},
        }


@dataclass(frozen=True, kw_only=True)
class Remedy:
    """One remedy from the source documents, in the language the report was made in."""

    id: str
    action: str
    why: str
    source: str  # document title + section, e.g. "《深度学习实践经验总结》 (...) §二.2 ..."
    snippet: str = ""  # PyTorch code showing how to apply it in one's own loop
    change: Mapping[str, Any] | None = None  # config change for our trainer; None = advice only
    applies: bool = True  # False: listed last, it cannot help this run's task
    not_applicable: str = ""  # why not, in the report's language

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "why": self.why,
            "source": self.source,
            "snippet": self.snippet,
            "change": dict(self.change) if self.change is not None else None,
            "applies": self.applies,
            "not_applicable": self.not_applicable,
        }


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A problem a rule found. Remedies keep the documents' order and are never re-sorted."""

    rule_id: str
    title: str
    severity: Severity
    confidence: float  # 0..1
    message: str
    evidence: tuple[Evidence, ...]
    remedies: tuple[Remedy, ...] = ()
    onset_step: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "title": self.title,
            "severity": self.severity.name.lower(),
            "confidence": round(float(self.confidence), 3),
            "message": self.message,
            "onset_step": self.onset_step,
            "evidence": [e.to_dict() for e in self.evidence],
            "remedies": [r.to_dict() for r in self.remedies],
        }


@dataclass(frozen=True, kw_only=True)
class NotAssessed:
    """A rule that could not judge this run, and what to log so that it can."""

    rule_id: str
    reason: str
    to_log: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "reason": self.reason, "to_log": self.to_log}


@dataclass(frozen=True, kw_only=True)
class Report:
    """The diagnosis of one run: findings in the documents' order of diagnosis."""

    run: str
    findings: tuple[Finding, ...]
    not_assessed: tuple[NotAssessed, ...]
    passed: tuple[str, ...] = ()  # rule ids that ran and found nothing
    lang: str = "en"
    part: RunPart | None = None  # the run's `RunData.part`: its folder held several runs

    @property
    def fix_first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def to_dict(self) -> dict[str, Any]:
        first = self.fix_first
        return {
            "run": self.run,
            "fix_first": first.rule_id if first else None,
            "findings": [f.to_dict() for f in self.findings],
            "not_assessed": [n.to_dict() for n in self.not_assessed],
            "passed": list(self.passed),
            **({"part": self.part.to_dict()} if self.part else {}),
        }


def plain_number(x: float | None) -> float | str | None:
    """JSON has no NaN/inf: spell them out so the output stays valid JSON."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if f != f:
        return "nan"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    return f
