"""What every rule module shares: the `Rule` record, its data needs, and finding/message helpers.

A rule is one module plus one line in the registry (`diagnostics.rules.REGISTRY`). The module
declares `ID`, `TITLE` (the problem found, "Exploding gradients"), `SHORT_NAME` (the check's
name in lists of what passed), `STAGE` (1 the run is broken, 2 it cannot learn, 3 it does not
generalise: `remedies.STAGE_NAMES`), `NEEDS` (alternative sets of canonical tags; any one
complete set suffices), `TEXT` (its English templates by name, "to_log" among them: what to log
so that it can judge a run), `Thresholds` (a frozen dataclass with documented defaults),
`check(run, th)` and `EXAMPLES` (its synthetic runs may be built in a companion module,
`overfitting_examples`); it ends with `RULE = Rule(...)`. Its words are rendered at the
edge (`diagnostics.messages`) under the keys "<ID>.<name>", "<ID>.title" and "<ID>.name"; the
Chinese ones are in `messages_zh`. Its remedies are data in the remedy catalogue, keyed by its id.
`check` returns a `Finding` (its remedies are the catalogue's), a `NotAssessed`, or None when
it looked and found nothing. Nothing here picks the words a reader sees: that is the edge's job.
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
from diagnostics.messages import Msg, Param
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rundata import RunData

Check = Callable[[RunData, Any], "Finding | NotAssessed | None"]
Builder = Callable[[], RunData]

# A need is a canonical tag ("train/loss"), a per-layer family ("grad_norm/*"), or a
# histogram family ("hist:act/*").
Need = tuple[str, ...]


@dataclass(frozen=True)
class Examples:
    """Synthetic runs where the rule must fire and where it must stay quiet (tests use these)."""

    fires: tuple[Builder, ...]
    quiet: tuple[Builder, ...]


@dataclass(frozen=True, kw_only=True)
class Rule:
    id: str
    title: str  # English: the problem it finds
    short_name: str  # English: the check's name, for lists of what passed or was not assessed
    # (a title such as "The loss diverges" beside a ✅ would read as if it did)
    stage: int  # in the documents' order of diagnosis: 1 broken, 2 cannot learn, 3 generalise
    needs: tuple[Need, ...]  # alternatives: the rule can run when ANY one is fully present
    texts: Mapping[str, str]  # English templates by name ("to_log" among them)
    check: Check
    thresholds: Any
    examples: Examples
    doc: str = ""

    @property
    def to_log(self) -> Msg:
        """What to log so the rule can assess a run."""
        return Msg(f"{self.id}.to_log")

    def catalogue(self) -> dict[str, str]:
        """Its English templates under their keys (`diagnostics.messages`)."""
        return {f"{self.id}.title": self.title, f"{self.id}.name": self.short_name,
                **{f"{self.id}.{name}": text for name, text in self.texts.items()}}

    def run(self, run: RunData) -> Finding | NotAssessed | None:
        missing = [tuple(t for t in need if not available(run, t)) for need in self.needs]
        if all(missing):  # no alternative is complete: say what each one lacks
            to_log = self.to_log
            if instrument_hint.wanted(missing):  # the line for this run's writer
                to_log = Msg("base.to_log_hint", to_log=to_log, hint=instrument_hint.hint(run.writer))
            return NotAssessed(rule_id=self.id, reason=Msg("base.missing", needs=describe_needs(missing)),
                               to_log=to_log)
        return self.check(run, self.thresholds)

    def with_thresholds(self, **changes: Any) -> Rule:
        """The same rule judged against other thresholds (calibration, user settings)."""
        return replace(self, thresholds=replace(self.thresholds, **changes))


# Shared English texts, keys "base.<name>".
TEXT = {
    "missing": "the run does not log {needs}",
    "too_few": "too few points in {tag} ({n} < {need})",
    "nonpositive": "{tag} goes negative or starts at 0 (down to {low}); this rule judges "
                   "non-negative losses such as cross-entropy or squared error",
    "late_start": "{tag} starts at step {first}, late in the run (last step {last}): the start of "
                  "training, which this rule compares against, is not in the log",
    "or": " or ",
    "and": " and ",
    "histograms": "{tag} (histograms)",
    "to_log_hint": "{to_log}; to log all of it: {hint}",
}
LATE_FRACTION = 0.2  # a curve whose first step is past this share of its last one starts late


def available(run: RunData, need: str) -> bool:
    """Whether the run has points for a need (from counts: no series is built here)."""
    if need.startswith("hist:"):
        return bool(run.histogram_tags(need[5:].split("/", 1)[0]))
    if need.endswith("/*"):
        return run.has_layers(need[:-2])
    return run.has_points(need)


def describe_needs(needs: Sequence[Need]) -> Param:
    """("grad_norm/*",), ("hist:grad/*",) -> "grad_norm/<layer> or grad/<layer> (histograms)"."""
    def show(tag: str) -> Param:
        hist = tag.startswith("hist:")
        tag = tag.removeprefix("hist:").replace("/*", "/<layer>")
        return Msg("base.histograms", tag=tag) if hist else tag

    # Each lack said once: of "val/acc" and "train/acc and val/acc", logging val/acc is what to say.
    sets = [frozenset(n) for n in needs]
    needs = list(dict.fromkeys(n for n, s in zip(needs, sets) if not any(o < s for o in sets)))
    return joined([joined([show(t) for t in n], "base.and") for n in needs], "base.or")


def joined(items: Sequence[Param], separator: str) -> Param:
    """The items one after another with the separator's text between them (a tuple, rendered
    for the reader at the edge); a single item as it is."""
    if len(items) == 1:
        return items[0]
    out: list[Param] = []
    for item in items:
        out += [Msg(separator), item] if out else [item]
    return tuple(out)


def too_few(rule_id: str, tag: str, n: int, need: int) -> NotAssessed:
    return NotAssessed(
        rule_id=rule_id,
        reason=Msg("base.too_few", tag=tag, n=fmt(n), need=fmt(need)),
        to_log=Msg(f"{rule_id}.to_log"),
    )


def judgeable_loss(rule_id: str, tag: str, series, need: int) -> NotAssessed | None:
    """Why a loss curve cannot be judged (too few points, or unusable for ratios); else None."""
    if len(series) < need:
        return too_few(rule_id, tag, len(series), need)
    return unusable_loss(rule_id, tag, series)


def unusable_loss(rule_id: str, tag: str, series, *, need_start: bool = True) -> NotAssessed | None:
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
        return NotAssessed(rule_id=rule_id, reason=Msg("base.nonpositive", tag=tag, low=fmt(low)))
    first, last = int(series.index[0]), int(series.index[-1])
    if need_start and first > 0 and first > LATE_FRACTION * last:
        return NotAssessed(rule_id=rule_id, reason=Msg(
            "base.late_start", tag=tag, first=fmt(first), last=fmt(last)))
    return None


def train_progress(rule_id: str, run: RunData) -> float | NotAssessed:
    """How much train/loss dropped (1 - end/start), for rules gated on poor progress; a
    NotAssessed when the curve cannot tell (see `unusable_loss`)."""
    loss = sig.finite(run.scalar("train/loss"))
    if not len(loss):
        return NotAssessed(rule_id=rule_id, reason=Msg("base.too_few", tag="train/loss", n="0", need="1"))
    return unusable_loss(rule_id, "train/loss", loss) or sig.progress(loss)


def msg(rule_id: str, name: str, **values: Any) -> Msg:
    """The rule's text `name`, its numbers formatted (`fmt`) for a reader."""
    return Msg(f"{rule_id}.{name}", **{k: fmt(v) for k, v in values.items()})


def finding(
    rule_id: str,
    *,
    message: str,
    severity: Severity,
    confidence: float,
    evidence: Sequence[Evidence],
    onset_step: int | None,
    **values: Any,
) -> Finding:
    """A Finding whose message is the rule's text `message`, with the measured values."""
    return Finding(
        rule_id=rule_id,
        severity=severity,
        confidence=round(min(1.0, max(0.0, confidence)), 3),
        message=Msg(f"{rule_id}.{message}", **{k: fmt(v) for k, v in values.items()}),
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
