"""Core types of a diagnosis: what a rule finds, the evidence behind it, and what to do about it.

Measuring and judging are kept apart: an `Evidence` holds one measured statistic next to the
named threshold it was judged against, so a user (and the UI) can see why a rule fired.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from diagnostics.messages import Msg, params_json, render

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
    """One remedy from the source documents, in the language it was rendered in (at the edge)."""

    id: str
    action: str
    why: str
    source: str  # document title + section, e.g. "《深度学习实践经验总结》 (...) §二.2 ..."
    snippet: str = ""  # PyTorch code showing how to apply it in one's own loop
    change: Mapping[str, Any] | None = None  # config change for our trainer; None = advice only
    applies: bool = True  # False: listed last, it cannot help this run's task
    not_applicable: str = ""  # why not, in the same language

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
    """A problem a rule found. Its words are a message key and parameters (`messages.Msg`),
    rendered at the edge; its remedies are the catalogue's for its rule (`remedies.remedies_of`),
    in the documents' order, never re-sorted."""

    rule_id: str
    severity: Severity
    confidence: float  # 0..1
    message: Msg
    evidence: tuple[Evidence, ...]
    onset_step: int | None = None
    task: str | None = None  # the run's task (`tag_hints.task_of`): which remedies can help it

    @property
    def title(self) -> Msg:
        return Msg(f"{self.rule_id}.title")

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        from diagnostics.remedies import remedies_of

        return {
            "rule": self.rule_id,
            "title": render(self.title, lang),
            "title_key": self.title.key,
            "severity": self.severity.name.lower(),
            "confidence": round(float(self.confidence), 3),
            "message": render(self.message, lang),
            "message_key": self.message.key,
            "message_params": params_json(self.message.params),
            "onset_step": self.onset_step,
            "evidence": [e.to_dict() for e in self.evidence],
            "remedies": [r.to_dict() for r in remedies_of(self, lang)],
        }


@dataclass(frozen=True, kw_only=True)
class NotAssessed:
    """A rule that could not judge this run, and what to log so that it can."""

    rule_id: str
    reason: Msg
    to_log: Msg | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        log = self.to_log
        return {"rule": self.rule_id,
                "reason": render(self.reason, lang),
                "reason_key": self.reason.key,
                "reason_params": params_json(self.reason.params),
                "to_log": render(log, lang) if log is not None else "",
                "to_log_key": log.key if log is not None else None,
                "to_log_params": params_json(log.params) if log is not None else None}


@dataclass(frozen=True, kw_only=True)
class Report:
    """The diagnosis of one run: findings in the documents' order of diagnosis. It holds no
    language: `to_dict(lang)`, `render` and the UI word it for the reader."""

    run: str
    findings: tuple[Finding, ...]
    not_assessed: tuple[NotAssessed, ...]
    passed: tuple[str, ...] = ()  # rule ids that ran and found nothing
    part: RunPart | None = None  # the run's `RunData.part`: its folder held several runs

    @property
    def fix_first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The report as JSON: every text rendered in `lang`, beside its key and parameters."""
        first = self.fix_first
        return {
            "run": self.run,
            "fix_first": first.rule_id if first else None,
            "findings": [f.to_dict(lang) for f in self.findings],
            "not_assessed": [n.to_dict(lang) for n in self.not_assessed],
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
