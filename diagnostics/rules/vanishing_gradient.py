"""vanishing_gradient — the weights get (almost) no gradient, so the loss does not move.

Why it matters: with saturating activations (sigmoid/tanh) or too-small initial weights, the
backward signal shrinks layer by layer; early layers stop learning and the run cannot fit
even its training data (documents' order: second stage, "cannot learn").

Evidence: per-layer gradient norms (`grad_norm/<layer>`, else `grad/<layer>` histograms),
each taken as its median over the run (robust to single batches), and `train/loss`:
- spread: the smallest layer's norm / the largest layer's norm at or below `max_ratio`
  (the signal dies on its way back through the layers);
- floor: the largest layer's norm at or below `floor` (no weight gets a usable gradient).
  With only `grad_norm/total` (as Hugging Face logs it), the floor is judged on the total.
Both are gated on poor progress (train loss dropped less than `max_progress`): a converged
net also has small gradients, and a net that learns fine has no problem to fix. Layers whose
gradient is mostly exactly zero (median 0) are left out: no signal at all is what dead ReLUs
give (dead_relu), a vanishing signal is small but not zero.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves, gradients
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, train_progress
from diagnostics.rundata import RunData

ID = "vanishing_gradient"
NEEDS = (("grad_norm/*", "train/loss"), ("hist:grad/*", "train/loss"),
         ("grad_norm/total", "train/loss"))
TO_LOG = {"en": "log per-layer gradient norms (grad_norm/<layer>) and train/loss",
          "zh": "记录每层的梯度范数（grad_norm/<layer>）和 train/loss"}
MESSAGE = {
    "spread": {
        "en": "Gradients vanish on the way back: {low_layer} gets a median gradient norm of "
              "{low} against {high} for {high_layer} (ratio {value}, threshold {threshold}), "
              "and train/loss made only {progress_pct}% progress.",
        "zh": "梯度在反向传播中消失：{low_layer} 的梯度范数中位数为 {low}，而 {high_layer} 为 "
              "{high}（比值 {value}，阈值 {threshold}），train/loss 只下降了 {progress_pct}%。",
    },
    "floor": {
        "en": "No layer gets a usable gradient: the largest median gradient norm is {value} "
              "({high_layer}; threshold {threshold}), and train/loss made only {progress_pct}% "
              "progress.",
        "zh": "没有一层得到可用的梯度：最大的梯度范数中位数只有 {value}（{high_layer}，阈值 "
              "{threshold}），train/loss 只下降了 {progress_pct}%。",
    },
}


@dataclass(frozen=True)
class Thresholds:
    max_ratio: float = 1e-3  # smallest / largest per-layer median gradient norm
    ratio_full_at: float = 1e-5
    floor: float = 1e-3  # largest per-layer (or total) median gradient norm
    floor_full_at: float = 1e-5
    max_progress: float = 0.5  # fires only when train/loss dropped less than this
    persist: int = 3  # the per-step condition must hold this many points for the onset


def check(run: RunData, th: Thresholds, lang: str) -> Finding | NotAssessed | None:
    progress = train_progress(ID, run, lang)
    if isinstance(progress, NotAssessed) or progress >= th.max_progress:
        return progress if isinstance(progress, NotAssessed) else None
    layers, family = gradients.layer_norms(run)
    if not layers:
        total = run.scalar("grad_norm/total")
        layers, family = {"total": total}, "grad_norm/total"
    frame = pd.concat(layers, axis=1).sort_index()
    medians = frame.median()
    frame = frame.loc[:, medians > 0]  # mostly exactly-zero layers: dead, not vanishing
    if frame.empty:
        return None
    medians = medians[medians > 0]
    high_layer, low_layer = str(medians.idxmax()), str(medians.idxmin())
    high, low = float(medians.max()), float(medians.min())
    last = int(frame.index[-1])
    values = dict(progress_pct=100 * max(progress, 0.0), high_layer=high_layer, high=high,
                  low_layer=low_layer, low=low)
    if high <= th.floor:
        per_step = frame.max(axis=1)
        onset = _onset(per_step <= th.floor, th.persist)
        return finding(
            ID, message=MESSAGE["floor"], lang=lang, severity=Severity.WARNING,
            confidence=sig.confidence(high, th.floor, th.floor_full_at), onset_step=onset,
            evidence=[Evidence(tag=_tag(family, high_layer), steps=(onset, last),
                               statistic="largest layer median norm", value=high,
                               threshold=th.floor, marks={"level": th.floor})],
            value=high, threshold=th.floor, **values)
    ratio = low / high if high > 0 else 1.0
    if frame.shape[1] < 2 or ratio > th.max_ratio:
        return None
    onset = _onset(frame.min(axis=1) / frame.max(axis=1) <= th.max_ratio, th.persist)
    return finding(
        ID, message=MESSAGE["spread"], lang=lang, severity=Severity.WARNING,
        confidence=sig.confidence(ratio, th.max_ratio, th.ratio_full_at), onset_step=onset,
        evidence=[Evidence(tag=_tag(family, low_layer), steps=(onset, last),
                           statistic="smallest / largest layer norm", value=ratio,
                           threshold=th.max_ratio, marks={"largest": high})],
        value=ratio, threshold=th.max_ratio, **values)


def _onset(mask: pd.Series, persist: int) -> int:
    """First step of a persistent stretch of the condition, else the first step logged."""
    i = sig.first_persistent(mask.to_numpy(), min(persist, len(mask)))
    return int(mask.index[i if i is not None else 0])


def _tag(family: str, layer: str) -> str:
    if family.startswith("grad_norm/<layer>"):
        return f"grad_norm/{layer}"
    if family.startswith("grad/"):
        return f"grad/{layer}"
    return family


# ---- examples ---------------------------------------------------------------------------
def _layered(name: str, scales: dict[str, float], loss_end: float, seed: int = 0) -> SyntheticRun:
    rng = np.random.default_rng(seed)
    ts = curves.train_steps()
    run = SyntheticRun(name).scalar("train/loss", ts, curves.decay(ts, 2.3, loss_end, 60,
                                                                   noise=0.05, seed=seed))
    for layer, scale in scales.items():
        run.scalar(f"grad_norm/{layer}", ts, scale * np.exp(0.3 * rng.standard_normal(len(ts))))
    return run


def _deep_sigmoid() -> RunData:
    scales = {"fc1": 1e-5, "fc2": 3e-5, "fc3": 2e-4, "fc4": 2e-3, "fc5": 1e-2, "out": 0.6}
    return _layered("sigmoid", scales, 2.28).build()


def _tiny_init() -> RunData:
    return _layered("tiny_init", {"fc1": 1.5e-5, "fc2": 1.4e-5, "fc3": 1.2e-5, "out": 5e-5},
                    2.30).build()


def _total_only() -> RunData:
    ts = curves.train_steps()
    return (SyntheticRun("hf_total")
            .scalar("train/loss", ts, np.full(len(ts), 0.69))
            .scalar("grad_norm/total", ts, np.full(len(ts), 3e-6))).build()


def _healthy() -> RunData:
    return _layered("healthy", {"fc1": 0.25, "fc2": 0.3, "out": 0.3}, 0.03).build()


def _converged_small_grads() -> RunData:
    return _layered("converged", {"fc1": 5e-5, "fc2": 8e-5, "out": 1e-4}, 1e-4).build()


def _healthy_sigmoid_spread() -> RunData:
    # A modest spread (early layers 50x smaller) while the loss falls: nothing to fix.
    return _layered("shallow_sigmoid", {"fc1": 0.004, "fc2": 0.04, "out": 0.2}, 0.1).build()


def _all_dead_zero_grads() -> RunData:
    # Every hidden ReLU dead: weight gradients are exactly 0 (dead_relu's finding, not this one).
    return _layered("dead", {"fc1": 0.0, "fc2": 0.0, "out": 0.0}, 2.3).build()


EXAMPLES = Examples(fires=(_deep_sigmoid, _tiny_init, _total_only),
                    quiet=(_healthy, _converged_small_grads, _healthy_sigmoid_spread,
                           _all_dead_zero_grads))
RULE = Rule(ID, check, Thresholds(), NEEDS, TO_LOG, EXAMPLES, __doc__ or "")
