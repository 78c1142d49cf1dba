"""What every rule module shares: the `Rule` record, its data needs, and finding/message helpers.

A rule module defines `ID`, `Thresholds` (a frozen dataclass with documented defaults),
`NEEDS` (alternative sets of canonical tags; any one complete set suffices), `TO_LOG` and
`MESSAGE` (en/zh), `check(run, th, lang)` and `EXAMPLES`; it ends with `RULE = Rule(...)`.
Titles come from the remedy catalogue (`remedies.rule_title`), the one place that names problems.
`check` returns a `Finding` (without remedies: the engine attaches them), a `NotAssessed`, or
None when it looked and found nothing.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import instrument_hint
from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.remedies import LANGS, rule_title
from diagnostics.rundata import RunData

Check = Callable[[RunData, Any, str], "Finding | NotAssessed | None"]
Builder = Callable[[], RunData]

# A need is a canonical tag ("train/loss"), a per-layer family ("grad_norm/*"), or a
# histogram family ("hist:act/*").
Need = tuple[str, ...]


@dataclass(frozen=True)
class Examples:
    """Synthetic runs where the rule must fire and where it must stay quiet (tests use these)."""

    fires: tuple[Builder, ...]
    quiet: tuple[Builder, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    check: Check
    thresholds: Any
    needs: tuple[Need, ...]  # alternatives: the rule can run when ANY one is fully present
    to_log: Mapping[str, str]  # per language: what to log so the rule can assess a run
    examples: Examples
    doc: str = ""

    def run(self, run: RunData, lang: str = "en") -> Finding | NotAssessed | None:
        missing = [tuple(t for t in need if not available(run, t)) for need in self.needs]
        if all(missing):  # no alternative is complete: say what each one lacks
            to_log = text(self.to_log, lang)
            if instrument_hint.wanted(missing):  # the line for this run's writer
                to_log += text(instrument_hint.LEAD, lang) + text(instrument_hint.hint(run.writer), lang)
            return NotAssessed(
                rule_id=self.id,
                reason=text(MISSING, lang).format(needs=describe_needs(missing, lang)),
                to_log=to_log,
            )
        return self.check(run, self.thresholds, lang)

    def with_thresholds(self, **changes: Any) -> Rule:
        """The same rule judged against other thresholds (calibration, user settings)."""
        return replace(self, thresholds=replace(self.thresholds, **changes))


MISSING = {
    "en": "the run does not log {needs}",
    "zh": "该运行没有记录 {needs}",
}
TOO_FEW = {
    "en": "too few points in {tag} ({n} < {need})",
    "zh": "{tag} 的数据点太少（{n} < {need}）",
}
NONPOSITIVE = {
    "en": "{tag} goes negative or starts at 0 (down to {low}); this rule judges non-negative "
          "losses such as cross-entropy or squared error",
    "zh": "{tag} 出现负值或从 0 开始（最低 {low}）；该规则只判断交叉熵、平方误差这类非负损失",
}
LATE_START = {
    "en": "{tag} starts at step {first}, late in the run (last step {last}): the start of "
          "training, which this rule compares against, is not in the log",
    "zh": "{tag} 从第 {first} 步才开始记录（最后一步为 {last}）：日志里没有该规则需要对比的训练起点",
}
LATE_FRACTION = 0.2  # a curve whose first step is past this share of its last one starts late
OR = {"en": " or ", "zh": " 或 "}
HISTOGRAMS = {"en": "histograms", "zh": "直方图"}
AND = {"en": " and ", "zh": " 和 "}


def text(table: Mapping[str, str], lang: str) -> str:
    """The entry for `lang`, falling back to English."""
    return table.get(lang) or table["en"]


def available(run: RunData, need: str) -> bool:
    """Whether the run has points for a need (from counts: no series is built here)."""
    if need.startswith("hist:"):
        return bool(run.histogram_tags(need[5:].split("/", 1)[0]))
    if need.endswith("/*"):
        return run.has_layers(need[:-2])
    return run.has_points(need)


def describe_needs(needs: Sequence[Need], lang: str) -> str:
    """("grad_norm/*",), ("hist:grad/*",) -> "grad_norm/<layer> or grad/<layer> (histograms)"."""
    def show(tag: str) -> str:
        hist = tag.startswith("hist:")
        tag = tag.removeprefix("hist:").replace("/*", "/<layer>")
        return f"{tag} ({text(HISTOGRAMS, lang)})" if hist else tag

    return text(OR, lang).join(text(AND, lang).join(show(t) for t in n) for n in needs)


def too_few(rule_id: str, tag: str, n: int, need: int, to_log: Mapping[str, str],
            lang: str) -> NotAssessed:
    return NotAssessed(
        rule_id=rule_id,
        reason=text(TOO_FEW, lang).format(tag=tag, n=n, need=need),
        to_log=text(to_log, lang),
    )


def judgeable_loss(rule_id: str, tag: str, series, need: int, to_log: Mapping[str, str],
                   lang: str) -> NotAssessed | None:
    """Why a loss curve cannot be judged (too few points, or unusable for ratios); else None."""
    if len(series) < need:
        return too_few(rule_id, tag, len(series), need, to_log, lang)
    return unusable_loss(rule_id, tag, series, lang)


def unusable_loss(rule_id: str, tag: str, series, lang: str, *,
                  need_start: bool = True) -> NotAssessed | None:
    """Why a loss curve cannot be judged by ratio-based rules, as a NotAssessed; else None.

    Ratios of losses only mean something for positive losses (an RL objective can go
    negative), and "progress since the start" needs the start of training in the log (a
    head-truncated file, or a resumed run logged elsewhere, lacks it).
    """
    values = series.to_numpy(dtype=np.float64)  # numpy's min; pandas' where NaN must be skipped
    low = float(values.min()) if len(values) and not np.isnan(values).any() else float(series.min())
    # A non-negative loss may touch 0 exactly (a batch fitted perfectly): still a loss whose
    # ratios mean something. Negative values, or a start at 0, are another kind of objective.
    if low < 0 or float(series.iloc[0]) <= 0:
        return NotAssessed(rule_id=rule_id,
                           reason=text(NONPOSITIVE, lang).format(tag=tag, low=fmt(low)))
    first, last = int(series.index[0]), int(series.index[-1])
    if need_start and first > 0 and first > LATE_FRACTION * last:
        return NotAssessed(rule_id=rule_id,
                           reason=text(LATE_START, lang).format(tag=tag, first=first, last=last))
    return None


def train_progress(rule_id: str, run: RunData, lang: str) -> float | NotAssessed:
    """How much train/loss dropped (1 - end/start), for rules gated on poor progress; a
    NotAssessed when the curve cannot tell (see `unusable_loss`)."""
    loss = sig.finite(run.scalar("train/loss"))
    if not len(loss):
        return NotAssessed(rule_id=rule_id, reason=text(TOO_FEW, lang).format(
            tag="train/loss", n=0, need=1))
    return unusable_loss(rule_id, "train/loss", loss, lang) or sig.progress(loss)


def finding(
    rule_id: str,
    *,
    message: Mapping[str, str],
    lang: str,
    severity: Severity,
    confidence: float,
    evidence: Sequence[Evidence],
    onset_step: int | None,
    **values: Any,
) -> Finding:
    """A Finding whose message is formatted from the measured values, in `lang`."""
    return Finding(
        rule_id=rule_id,
        title=rule_title(rule_id, lang if lang in LANGS else "en"),
        severity=severity,
        confidence=round(min(1.0, max(0.0, confidence)), 3),
        message=text(message, lang).format(**{k: fmt(v) for k, v in values.items()}),
        evidence=tuple(evidence),
        onset_step=onset_step,
    )


def fmt(value: Any) -> Any:
    """Numbers as a reader wants them: 3 significant digits, ints kept, inf/nan spelled out."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"


# ---- synthetic runs for EXAMPLES and tests ----------------------------------------------
@dataclass
class SyntheticRun:
    """Builds a RunData from arrays; canonical tags map to themselves."""

    name: str = "synthetic"
    scalars: dict[str, tuple[Sequence[int], Sequence[float]]] = field(default_factory=dict)
    histograms: dict[str, list[tuple[int, Sequence[float], Sequence[float]]]] = field(
        default_factory=dict)  # tag -> [(step, bucket edges (n+1), counts (n))]
    config: dict[str, Any] | None = None  # as RunData.config (our config.json, or hparams)
    writer: str | None = None  # as RunData.writer (the program that wrote the log)

    def scalar(self, tag: str, steps: Sequence[int], values: Sequence[float]) -> SyntheticRun:
        self.scalars[tag] = (list(steps), list(values))
        return self

    def histogram(self, tag: str, step: int, edges: Sequence[float],
                  counts: Sequence[float]) -> SyntheticRun:
        self.histograms.setdefault(tag, []).append((step, list(edges), list(counts)))
        return self

    def build(self) -> RunData:
        rows = [
            (self.name, tag, int(s), float(v), float(i))
            for tag, (steps, values) in self.scalars.items()
            for i, (s, v) in enumerate(zip(steps, values))
        ]
        scalars = pd.DataFrame(rows, columns=["run", "tag", "step", "value", "wall_time"])
        hrows = [
            (self.name, tag, int(step), float(step), float(edges[i]), float(edges[i + 1]),
             float(counts[i]))
            for tag, items in self.histograms.items()
            for step, edges, counts in items
            for i in range(len(counts))
        ]
        hist = pd.DataFrame(hrows, columns=["run", "tag", "step", "wall_time", "left", "right",
                                            "count"])
        # the reader's dtypes (run and tag categorical), so rules meet what real runs give them
        scalars = scalars.astype({"run": "category", "tag": "category", "step": np.int64,
                                  "value": np.float64, "wall_time": np.float64})
        hist = hist.astype({"run": "category", "tag": "category", "step": np.int64,
                            "wall_time": np.float64, "left": np.float64, "right": np.float64,
                            "count": np.float64})
        tags = list(self.scalars) + list(self.histograms)
        return RunData(run=self.name, scalars=scalars, histograms=hist,
                       tag_map={t: t for t in tags}, config=self.config, writer=self.writer)
