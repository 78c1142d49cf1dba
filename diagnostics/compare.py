"""Did the re-run help? A child (config + one change) against its parent, robust to seed noise.

Measure first, judge second: per seed, the key metric and whether the problem's finding is
present; then a verdict against the seed spread, with a one-line reason in en and zh.

The metric is the best validation loss (what a checkpoint keeps, so a fair "not worse" test); a
run that never got a finite one (diverged before its first validation) counts as +inf. When the
change swaps the loss function itself (MSE -> cross-entropy) losses are in different units, so
the best validation accuracy is judged instead. Without any val/loss: the best train/loss.

    worse     the metric got worse by more than the spread, or a finding of an EARLIER stage
              of diagnosis (a broken run, while fixing "cannot learn") appeared on most seeds
    resolved  the finding is gone on every child seed and the metric is not worse
    improved  the finding stays on some seed but the metric is better by more than the spread
    no change anything else

The spread is max(seed std of either side, 2 % of the parent's metric, 1e-3). With one seed a
side there is no std: the margin widens to 5 % and the verdict says it is provisional.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.model import Report, plain_number
from diagnostics.remedies import STAGE, display_title
from diagnostics.rundata import RunData
from diagnostics.signals import finite

RESOLVED, IMPROVED, NO_CHANGE, WORSE = "resolved", "improved", "no change", "worse"
REL_EPS, ABS_EPS, SINGLE_SEED_REL = 0.02, 1e-3, 0.05

REASONS = {
    "earlier": {
        "en": "worse: a problem of an earlier stage appeared ({rules}) on most child seeds",
        "zh": "变差：子运行多数种子上出现了更早阶段的问题（{rules}）"},
    WORSE: {
        "en": "worse: {metric} {c} vs {p}, worse by {d} > spread ±{s}",
        "zh": "变差：{metric} {c}（父运行 {p}），差了 {d}，超过波动 ±{s}"},
    RESOLVED: {
        "en": 'resolved: "{title}" gone on {n}/{n} child seeds; {metric} {c} vs {p} '
              "(spread ±{s})",
        "zh": "已解决：「{title}」在子运行 {n}/{n} 个种子上都消失；{metric} {c}"
              "（父运行 {p}，波动 ±{s}）"},
    IMPROVED: {
        "en": 'improved: {metric} {c} vs {p}, better by {d} > spread ±{s}; "{title}" still on '
              "{k}/{n} child seeds",
        "zh": "有改善：{metric} {c}（父运行 {p}），好了 {d}，超过波动 ±{s}；"
              "「{title}」仍在 {k}/{n} 个种子上"},
    NO_CHANGE: {
        "en": 'no change: {metric} {c} vs {p} within spread ±{s}; "{title}" on {k}/{n} child '
              "seeds ({j}/{m} parent)",
        "zh": "无变化：{metric} {c}（父运行 {p}）在波动 ±{s} 之内；"
              "「{title}」在 {k}/{n} 个子种子上（父运行 {j}/{m}）"},
    "not_in_parent": {"en": "; the parent did not show this problem",
                      "zh": "；父运行本来没有这个问题"},
    "provisional": {"en": "; single seed: verdict provisional", "zh": "；单个种子：结论仅供参考"},
}


@dataclass(frozen=True)
class SeedResult:
    """One run (one seed) of one side."""

    run: str
    seed: int | None
    value: float  # the judged metric; +inf (loss) / -inf (accuracy) when the run never got one
    best_val_loss: float | None
    final_val_acc: float | None
    findings: tuple[str, ...]  # rule ids, in the order of diagnosis
    has_finding: bool  # the compared problem is among them

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "seed": self.seed, "value": plain_number(self.value),
                "best_val_loss": plain_number(self.best_val_loss),
                "final_val_acc": plain_number(self.final_val_acc), "findings": list(self.findings),
                "has_finding": self.has_finding}


@dataclass(frozen=True)
class Comparison:
    rule_id: str
    verdict: str  # resolved | improved | no change | worse
    reason: Mapping[str, str]  # {"en": ..., "zh": ...}, one line each
    metric: str  # what was judged, e.g. "best val/loss"
    parent: tuple[SeedResult, ...]
    child: tuple[SeedResult, ...]
    parent_mean: float
    child_mean: float
    spread: float  # the margin a difference must beat
    provisional: bool  # one seed on a side: no measured spread
    config_diff: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # key: (parent, child)
    new_findings: tuple[str, ...] = ()  # on most child seeds, on no parent majority
    cleared_findings: tuple[str, ...] = ()  # on most parent seeds, on no child majority

    @property
    def success(self) -> bool:
        return self.verdict == RESOLVED

    def reason_text(self, lang: str = "en") -> str:
        return self.reason.get(lang) or self.reason["en"]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "verdict": self.verdict, "reason": dict(self.reason),
                "metric": self.metric, "parent": [s.to_dict() for s in self.parent],
                "child": [s.to_dict() for s in self.child],
                "parent_mean": plain_number(self.parent_mean), "child_mean": plain_number(self.child_mean),
                "spread": plain_number(self.spread), "provisional": self.provisional,
                "config_diff": {k: list(v) for k, v in self.config_diff.items()},
                "new_findings": list(self.new_findings),
                "cleared_findings": list(self.cleared_findings)}


def compare(parents: Sequence[RunData], children: Sequence[RunData], rule_id: str, *,
            reports: Mapping[int, Report] | None = None) -> Comparison:
    """Judge the children (one config, one or more seeds) against the parents (likewise).

    `reports` may map `id(run)` to an already computed Report, to skip diagnosing again.
    """
    if not parents or not children:
        raise ValueError("compare: needs at least one parent run and one child run")
    tag, higher = _metric(parents, children)
    par = tuple(_seed_result(r, rule_id, tag, higher, reports) for r in parents)
    chi = tuple(_seed_result(r, rule_id, tag, higher, reports) for r in children)
    p_mean, p_std = _mean_std([s.value for s in par])
    c_mean, c_std = _mean_std([s.value for s in chi])
    provisional = len(par) < 2 or len(chi) < 2
    scale = abs(p_mean) if math.isfinite(p_mean) else 0.0
    spread = max(p_std, c_std, (SINGLE_SEED_REL if provisional else REL_EPS) * scale, ABS_EPS)

    new = tuple(r for r in _majority(chi) if r not in _majority(par))
    cleared = tuple(r for r in _majority(par) if r not in _majority(chi))
    stage = STAGE.get(rule_id, 99)
    earlier = [r for r in new if STAGE.get(r, 99) < stage]
    delta = _delta(c_mean, p_mean) * (-1 if higher else 1)  # > 0: the child is worse
    n_par, n_chi = sum(s.has_finding for s in par), sum(s.has_finding for s in chi)

    nums = dict(c=_fmt(c_mean), p=_fmt(p_mean), s=_fmt(spread), d=_fmt(abs(delta)),
                k=n_chi, n=len(chi), j=n_par, m=len(par), metric=f"best {tag}")
    if earlier:
        verdict, why = WORSE, "earlier"
        nums["rules"] = ", ".join(earlier)
    elif delta > spread:
        verdict, why = WORSE, WORSE
    elif n_chi == 0 and n_par > 0:
        verdict, why = RESOLVED, RESOLVED
    elif -delta > spread:
        verdict, why = IMPROVED, IMPROVED
    else:
        verdict, why = NO_CHANGE, NO_CHANGE
    reason = {}
    for lang in ("en", "zh"):
        line = REASONS[why][lang].format(title=display_title(rule_id, lang), **nums)
        if n_par == 0 and verdict != WORSE:
            line += REASONS["not_in_parent"][lang]
        if provisional:
            line += REASONS["provisional"][lang]
        reason[lang] = line
    return Comparison(rule_id=rule_id, verdict=verdict, reason=reason, metric=f"best {tag}",
                      parent=par, child=chi, parent_mean=p_mean, child_mean=c_mean,
                      spread=spread, provisional=provisional,
                      config_diff=config_diff(parents[0].config or {}, children[0].config or {},
                                              ignore=("seed",)),
                      new_findings=new, cleared_findings=cleared)


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


# ---- measuring ------------------------------------------------------------------------------
def _metric(parents: Sequence[RunData], children: Sequence[RunData]) -> tuple[str, bool]:
    """(tag, higher is better) to judge both sides on."""
    runs = (*parents, *children)
    loss_fns = {str((r.config or {}).get("loss")) for r in runs}  # str: any writer's config value
    if len(loss_fns) > 1 and all(r.has("val/acc") for r in runs):
        return "val/acc", True
    return ("val/loss" if any(r.has("val/loss") for r in runs) else "train/loss"), False


def _seed_result(run: RunData, rule_id: str, tag: str, higher: bool,
                 reports: Mapping[int, Report] | None) -> SeedResult:
    report = (reports or {}).get(id(run))
    if report is None:
        from diagnostics.engine import diagnose  # the engine imports rules; keep this light

        report = diagnose(run)
    found = tuple(f.rule_id for f in report.findings)
    best = _best(run, tag, higher)
    acc = _finite(run, "val/acc")
    return SeedResult(run=run.run, seed=(run.config or {}).get("seed"),
                      value=best if best is not None else (-math.inf if higher else math.inf),
                      best_val_loss=_best(run, "val/loss", False),
                      final_val_acc=float(acc.iloc[-1]) if len(acc) else None,
                      findings=found, has_finding=rule_id in found)


def _best(run: RunData, tag: str, higher: bool) -> float | None:
    values = _finite(run, tag)
    if not len(values):
        return None
    return float(values.max() if higher else values.min())


def _finite(run: RunData, tag: str) -> pd.Series:
    series = run.scalar(tag)
    return finite(series) if series is not None else pd.Series(dtype=float)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean (±inf when a seed never got the metric: that seed failed outright) and the sample
    std of the finite values."""
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    mean = float(arr.mean())
    std = float(finite.std(ddof=1)) if len(finite) >= 2 else 0.0
    return mean, std


def _delta(child: float, parent: float) -> float:
    if math.isinf(child) and child == parent:
        return 0.0
    return child - parent


def _majority(side: Sequence[SeedResult]) -> list[str]:
    """Rule ids found on more than half of the seeds (one seed: on that seed)."""
    counts: dict[str, int] = {}
    for s in side:
        for r in s.findings:
            counts[r] = counts.get(r, 0) + 1
    return [r for r, n in counts.items() if n * 2 > len(side)]



def _fmt(x: float) -> str:
    return f"{x:.4f}"  # inf, -inf and nan spell themselves
