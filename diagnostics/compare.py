"""Did the change make a better model? One judge for re-runs and for a user's own before/after.

Outcome first, then the symptom. The outcome is the quality of the model a run delivers
(`diagnostics.outcome`: the best validation loss, or the run's validation metric in its own
direction; the checkpoint early stopping keeps). Each side may hold several seeds of one
config; a difference counts only beyond the seed spread.

    fixed           the finding is gone on every seed after, and the outcome is better beyond
                    the spread: a better model to ship
    contained       the finding is gone, the outcome the same within the spread (early stopping
                    that only stops before the harm)
    improved        the outcome is better beyond the spread, the finding remains
    no change       neither
    worse           the outcome is worse beyond the spread, or a problem of an EARLIER stage of
                    diagnosis (a broken run, while fixing "cannot learn") appeared on most seeds
    not comparable  the two sides do not share a task (different loss names or scales, a
                    different model or data set in their configs): no verdict, and why

The spread is max(the seed std of either side, 2 % of the outcome before, 1e-3). With one seed
a side no spread is measured: the margin widens to 5 % and the verdict says it is provisional,
without quoting a spread. A parent that did not show the problem cannot have it fixed or
contained: better is "improved", anything else "no change".

Results are typed records (`Comparison`, `Outcome`, `SeedResult`); the words are a message key
and parameters, rendered at the edge (`diagnostics.verdict_text`); the JSON keeps both.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.model import Report, plain_number
from diagnostics.outcome import (
    Metric,
    SeedResult,
    mean_std,
    outcome_metric,
    seed_result,
    task_mismatch,
)
from diagnostics.remedies import STAGE
from diagnostics.rundata import RunData
from diagnostics.verdict_text import render, render_all

REL_EPS, ABS_EPS, SINGLE_SEED_REL = 0.02, 1e-3, 0.05


class Verdict(StrEnum):
    FIXED = "fixed"
    CONTAINED = "contained"
    IMPROVED = "improved"
    NO_CHANGE = "no change"
    WORSE = "worse"
    NOT_COMPARABLE = "not comparable"


FIXED, CONTAINED, IMPROVED = Verdict.FIXED, Verdict.CONTAINED, Verdict.IMPROVED
NO_CHANGE, WORSE, NOT_COMPARABLE = Verdict.NO_CHANGE, Verdict.WORSE, Verdict.NOT_COMPARABLE
# How good a verdict is for a repair's search: higher wins, ties broken by the outcome.
RANK = {FIXED: 4, IMPROVED: 3, CONTAINED: 2, NO_CHANGE: 1, WORSE: 0, NOT_COMPARABLE: -1}


class Kind(StrEnum):
    """Who made the runs compared: our re-runs (a parent and its child seeds) or a user's own
    pair of runs (before/after a change the user made)."""

    RERUN = "rerun"
    PAIR = "pair"


@dataclass(frozen=True)
class Outcome:
    """The outcome figures of a comparison: what the user reads first."""

    metric: Metric
    before: float  # mean over the seeds before (the parent side)
    after: float  # mean over the seeds after (the child side)
    delta: float  # after - before, in the metric's own units; inf - inf counts as 0
    better_by: float  # > 0: after is better (sign follows the metric's direction)
    margin: float  # what a difference must beat
    spread: float | None  # the measured seed std behind the margin; None: one seed a side

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric.shown, **self.metric.to_dict(),
                "before": plain_number(self.before), "after": plain_number(self.after),
                "delta": plain_number(self.delta), "better_by": plain_number(self.better_by),
                "margin": plain_number(self.margin), "spread": plain_number(self.spread)}


@dataclass(frozen=True)
class Comparison:
    rule_id: str
    verdict: Verdict
    reason_key: str  # verdict_text catalogue key
    reason_params: Mapping[str, Any]  # its parameters (numbers already formatted)
    outcome: Outcome | None  # None: not comparable
    parent: tuple[SeedResult, ...]
    child: tuple[SeedResult, ...]
    provisional: bool  # one seed on a side: no measured spread
    kind: Kind = Kind.RERUN
    config_diff: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # key: (parent, child)
    new_findings: tuple[str, ...] = ()  # on most child seeds, on no parent majority
    cleared_findings: tuple[str, ...] = ()  # on most parent seeds, on no child majority

    @property
    def success(self) -> bool:
        """A better model without the problem: what a repair searches for."""
        return self.verdict == FIXED

    @property
    def metric(self) -> str:
        return self.outcome.metric.shown if self.outcome else ""

    @property
    def parent_mean(self) -> float:
        return self.outcome.before if self.outcome else math.nan

    @property
    def child_mean(self) -> float:
        return self.outcome.after if self.outcome else math.nan

    @property
    def spread(self) -> float:
        """The margin a difference must beat (measured spread or the provisional margin)."""
        return self.outcome.margin if self.outcome else math.nan

    @property
    def reason(self) -> dict[str, str]:
        return render_all(self.reason_key, self.reason_params)

    def reason_text(self, lang: str = "en") -> str:
        return render(self.reason_key, self.reason_params, lang)

    def to_dict(self) -> dict[str, Any]:
        """Outcome figures first, then the verdict (key, params and rendered text), then seeds."""
        return {"outcome": self.outcome.to_dict() if self.outcome else None,
                "verdict": str(self.verdict), "rule": self.rule_id, "kind": str(self.kind),
                "provisional": self.provisional, "reason_key": self.reason_key,
                "reason_params": dict(self.reason_params), "reason": self.reason,
                "metric": self.metric, "parent_mean": plain_number(self.parent_mean),
                "child_mean": plain_number(self.child_mean), "spread": plain_number(self.spread),
                "parent": [s.to_dict() for s in self.parent],
                "child": [s.to_dict() for s in self.child],
                "config_diff": {k: list(v) for k, v in self.config_diff.items()},
                "new_findings": list(self.new_findings),
                "cleared_findings": list(self.cleared_findings)}


def judge(parents: Sequence[RunData], children: Sequence[RunData], rule_id: str, *,
          reports: Mapping[int, Report] | None = None, kind: Kind = Kind.RERUN) -> Comparison:
    """Judge the runs after (one config, one or more seeds) against the runs before.

    `reports` may map `id(run)` to an already computed Report, to skip diagnosing again.
    `kind`: RERUN for our re-runs (the lineage says they share a task), PAIR for two runs a
    user picked (their task is checked, loss scales too).
    """
    if not parents or not children:
        raise ValueError("judge: needs at least one run before and one run after")
    diff = config_diff(parents[0].config or {}, children[0].config or {}, ignore=("seed",))
    provisional = len(parents) < 2 or len(children) < 2
    mismatch = task_mismatch(parents, children, pair=kind == Kind.PAIR)
    metric = outcome_metric((*parents, *children))
    par = tuple(seed_result(r, rule_id, metric, reports) for r in parents)
    chi = tuple(seed_result(r, rule_id, metric, reports) for r in children)
    new = tuple(r for r in _majority(chi) if r not in _majority(par))
    cleared = tuple(r for r in _majority(par) if r not in _majority(chi))
    common = dict(rule_id=rule_id, parent=par, child=chi, provisional=provisional, kind=kind,
                  config_diff=diff, new_findings=new, cleared_findings=cleared)
    if mismatch is not None:
        key, params = mismatch
        return Comparison(verdict=NOT_COMPARABLE, reason_key=key, reason_params=params,
                          outcome=None, **common)

    outcome = _outcome(metric, par, chi)
    stage = STAGE.get(rule_id, 99)
    earlier = [r for r in new if STAGE.get(r, 99) < stage]
    n_par, n_chi = sum(s.has_finding for s in par), sum(s.has_finding for s in chi)
    better = outcome.better_by > outcome.margin
    gone = n_par > 0 and n_chi == 0
    if earlier:
        verdict, key = WORSE, "earlier"
    elif -outcome.better_by > outcome.margin:
        verdict, key = WORSE, "worse"
    elif gone:
        verdict = FIXED if better else CONTAINED
        key = str(verdict)
    elif better:
        verdict, key = IMPROVED, "improved" if n_par else "improved_absent"
    else:
        verdict, key = NO_CHANGE, "no change" if n_par else "no change_absent"
    margin = ({"key": "margin_measured", "s": _fmt(outcome.margin)} if not provisional else
              {"key": "margin_provisional", "s": _fmt(outcome.margin),
               "pct": f"{SINGLE_SEED_REL * 100:g}"})
    params = {"metric": metric.shown, "c": _fmt(outcome.after), "p": _fmt(outcome.before),
              "d": _fmt(abs(outcome.better_by)), "margin": margin, "rule": rule_id,
              "k": n_chi, "n": len(chi), "j": n_par, "m": len(par), "who": str(kind),
              "rules": ", ".join(earlier), "provisional": provisional}
    return Comparison(verdict=verdict, reason_key=key, reason_params=params, outcome=outcome,
                      **common)


def _outcome(metric: Metric, par: Sequence[SeedResult], chi: Sequence[SeedResult]) -> Outcome:
    before, p_std = mean_std([s.value for s in par])
    after, c_std = mean_std([s.value for s in chi])
    provisional = len(par) < 2 or len(chi) < 2
    stds = [s for s in (p_std, c_std) if s is not None]
    spread = max(stds) if stds and not provisional else None
    scale = abs(before) if math.isfinite(before) else 0.0
    margin = max(spread or 0.0, (SINGLE_SEED_REL if provisional else REL_EPS) * scale, ABS_EPS)
    delta = 0.0 if math.isinf(after) and after == before else after - before
    return Outcome(metric=metric, before=before, after=after, delta=delta,
                   better_by=delta if metric.higher else -delta, margin=margin, spread=spread)


def config_diff(parent: Mapping[str, Any], child: Mapping[str, Any], *,
                ignore: Sequence[str] = ()) -> dict[str, tuple[Any, Any]]:
    """{key: (parent value, child value)} for every key that differs (None where missing)."""
    keys = sorted((set(parent) | set(child)) - set(ignore))
    return {k: (parent.get(k), child.get(k)) for k in keys if parent.get(k) != child.get(k)}


def aligned_curves(parents: Sequence[RunData], children: Sequence[RunData],
                   tag: str = "val/loss") -> pd.DataFrame:
    """Tidy frame side, run, seed, step, epoch, value for one canonical tag of every run.

    `epoch` (steps / steps per epoch, taken from the first validation point) is the fair x
    axis when the change alters the batch size, since a step then means a different amount of
    data; `step` is kept for everything else.
    """
    frames = []
    for side, runs in (("parent", parents), ("child", children)):
        for run in runs:
            series = run.scalar(tag)
            if series is None or series.empty:
                continue
            val = run.scalar("val/loss")
            first = int(val.index[0]) if val is not None and len(val) else 0
            per_epoch = float(first) if first > 0 else np.nan
            frames.append(pd.DataFrame({
                "side": side, "run": run.run, "seed": (run.config or {}).get("seed"),
                "step": series.index.to_numpy(), "epoch": series.index.to_numpy() / per_epoch,
                "value": series.to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=["side", "run", "seed", "step", "epoch", "value"])
    return pd.concat(frames, ignore_index=True).sort_values(["side", "run", "step"], kind="stable")


def _majority(side: Sequence[SeedResult]) -> list[str]:
    """Rule ids found on more than half of the seeds (one seed: on that seed)."""
    counts: dict[str, int] = {}
    for s in side:
        for r in s.findings:
            counts[r] = counts.get(r, 0) + 1
    return [r for r, n in counts.items() if n * 2 > len(side)]


def _fmt(x: float) -> str:
    return f"{x:.4f}"  # inf, -inf and nan spell themselves
