"""The outcome of a run: the quality of the model it delivers, and whether two runs share a task.

Measure first, judge second (`diagnostics.compare.judge`). The outcome is the best value of the
run's validation measure, in that measure's own direction: the checkpoint a run keeps (our
trainer's `checkpoints/best.pt`, early stopping's stop) is the best one, so an early stop that
only ends before the harm delivers the same outcome as the run it stopped.

Which measure, the same for every run of a comparison (`outcome_metric`):

    val/metric  the run's main validation metric (mAP, F1, BLEU...) when every run logs it and
                its name says which way is better (`tag_hints.metric_direction`)
    val/loss    the best validation loss, when every run logs one and all train the same loss
    val/acc     when the loss function itself differs (MSE vs cross-entropy: different units)
                or there is no validation loss
    train/loss  the last resort, said as such ("not a validation outcome")

A run that never got a finite value (diverged before its first validation) scores the worst
possible value (+inf for a loss, -inf for a score).

Two runs share a task (`task_mismatch`) unless their losses are logged under different names,
differ in scale by orders of magnitude while training the same loss, or their configs name a
different model or data set: then no verdict is given, and the reason says why.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.model import Report, plain_number
from diagnostics.rundata import RunData
from diagnostics.signals import finite
from diagnostics.tag_hints import metric_direction, task_of

LOSS_TAGS = ("val/loss", "train/loss")
SCALE_RATIO = 30.0  # first losses this many times apart: not the same loss on the same data
# Config keys that name what is trained on what, as common writers spell them.
TASK_KEYS = ("dataset", "dataset_name", "data", "task", "task_name", "model", "model_name",
             "model_name_or_path", "model_type", "arch", "architecture", "num_classes",
             "num_labels")


@dataclass(frozen=True)
class Metric:
    """What a comparison is judged on."""

    tag: str  # canonical tag, e.g. "val/loss"
    higher: bool  # higher is better
    shown: str  # as the user reads it: "best val/loss", "best val/metric (mAP)"

    @property
    def worst(self) -> float:
        return -math.inf if self.higher else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "direction": "higher" if self.higher else "lower",
                "shown": self.shown}


@dataclass(frozen=True)
class SeedResult:
    """One run (one seed) of one side: its outcome and its findings."""

    run: str
    seed: int | None
    value: float  # the outcome; the metric's worst value when the run never got one
    best_val_loss: float | None
    final_val_acc: float | None
    findings: tuple[str, ...]  # rule ids, in the order of diagnosis
    has_finding: bool  # the compared problem is among them

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "seed": self.seed, "value": plain_number(self.value),
                "best_val_loss": plain_number(self.best_val_loss),
                "final_val_acc": plain_number(self.final_val_acc),
                "findings": list(self.findings), "has_finding": self.has_finding}


def outcome_metric(runs: Sequence[RunData]) -> Metric:
    """The measure every run of a comparison is judged on (see the module docstring)."""
    if runs and all(r.has("val/metric") for r in runs):
        names = {o.rpartition("/")[2] for r in runs for o in r.originals_for("val/metric")}
        directions = {metric_direction(n) for n in names}
        if len(directions) == 1 and None not in directions:
            return Metric("val/metric", directions.pop() > 0,
                          f"best val/metric ({', '.join(sorted(names))})")
    loss_fns = {str((r.config or {}).get("loss")) for r in runs}  # str: any writer's value
    same_loss = len(loss_fns) <= 1
    if same_loss and runs and any(r.has("val/loss") for r in runs):
        return Metric("val/loss", False, "best val/loss")
    if runs and all(r.has("val/acc") for r in runs):
        return Metric("val/acc", True, "best val/acc")
    if any(r.has("val/loss") for r in runs):
        return Metric("val/loss", False, "best val/loss")
    return Metric("train/loss", False, "best train/loss (not a validation outcome)")


def seed_result(run: RunData, rule_id: str, metric: Metric,
                reports: Mapping[int, Report] | None = None) -> SeedResult:
    """One run's outcome and findings (`reports` may map `id(run)` to its Report)."""
    report = (reports or {}).get(id(run))
    if report is None:
        from diagnostics.engine import diagnose  # the engine imports rules; keep this light

        report = diagnose(run)
    found = tuple(f.rule_id for f in report.findings)
    best = best_value(run, metric.tag, metric.higher)
    acc = _finite(run, "val/acc")
    return SeedResult(run=run.run, seed=(run.config or {}).get("seed"),
                      value=best if best is not None else metric.worst,
                      best_val_loss=best_value(run, "val/loss", False),
                      final_val_acc=float(acc.iloc[-1]) if len(acc) else None,
                      findings=found, has_finding=rule_id in found)


def best_value(run: RunData, tag: str, higher: bool) -> float | None:
    values = _finite(run, tag)
    if not len(values):
        return None
    return float(values.max() if higher else values.min())


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean (±inf when a seed never got the metric: that seed failed outright) and the sample
    std of the finite values; None when fewer than two seeds: no spread was measured."""
    arr = np.asarray(values, dtype=float)
    ok = arr[np.isfinite(arr)]
    std = float(ok.std(ddof=1)) if len(ok) >= 2 else None
    return float(arr.mean()), std


def task_mismatch(parents: Sequence[RunData], children: Sequence[RunData], *,
                  pair: bool = True) -> tuple[str, dict[str, str]] | None:
    """(message key, params) saying why the two sides do not share a task, None when they do.
    `pair=False` for our own re-runs: their lineage already says they train the same task, a
    remedy may change where the loss starts (a diverging parent starts far off), and a parent
    that diverged before its first validation is still beaten by any finite child."""
    a, b = parents[0], children[0]
    for canonical in LOSS_TAGS:
        names_a, names_b = set(a.originals_for(canonical)), set(b.originals_for(canonical))
        if names_a and names_b and not names_a & names_b:
            return "mismatch_loss_tags", {"tag": canonical, "a": ", ".join(sorted(names_a)),
                                          "b": ", ".join(sorted(names_b))}
    if pair and not any(a.has(t) and b.has(t) for t in (*LOSS_TAGS, "val/acc", "val/metric")):
        return "mismatch_nothing_shared", {}
    ca, cb = dict(a.config or {}), dict(b.config or {})
    for key in TASK_KEYS:
        if key in ca and key in cb and str(ca[key]) != str(cb[key]):
            return "mismatch_config", {"key": key, "a": str(ca[key])[:80], "b": str(cb[key])[:80]}
    ta, tb = task_of(a.tag_map, a.writer), task_of(b.tag_map, b.writer)
    if ta and tb and ta != tb:
        return "mismatch_task", {"a": ta, "b": tb}
    if pair and str(ca.get("loss")) == str(cb.get("loss")):
        for canonical in LOSS_TAGS:
            fa, fb = _first(a, canonical), _first(b, canonical)
            if fa and fb and max(fa, fb) / min(fa, fb) > SCALE_RATIO:
                return "mismatch_scale", {"tag": canonical, "a": f"{fa:.4g}", "b": f"{fb:.4g}"}
    return None


def _first(run: RunData, tag: str) -> float | None:
    """The median of the first few finite, positive values: where the loss starts."""
    values = _finite(run, tag)
    values = values[values > 0]
    return float(values.iloc[:3].median()) if len(values) else None


def _finite(run: RunData, tag: str) -> pd.Series:
    series = run.scalar(tag)
    return finite(series) if series is not None else pd.Series(dtype=float)
