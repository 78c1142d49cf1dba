"""vanishing_gradient — the weights get (almost) no gradient, so the loss does not move.

Why it matters: with saturating activations (sigmoid/tanh) or too-small initial weights, the
backward signal shrinks layer by layer; early layers stop learning and the run cannot fit
even its training data (documents' order: second stage, "cannot learn").

Evidence: per-layer gradient norms (`grad_norm/<layer>`, else `grad/<layer>` histograms),
each taken as its median over the run (robust to single batches), and `train/loss`:
- spread: the smallest layer's norm / the largest layer's norm at or below `max_ratio`
  (the signal dies on its way back through the layers);
- floor: the largest layer's norm at or below `floor` (no weight gets a usable gradient).
Both are gated on poor progress (train loss dropped less than `max_progress`): a converged
net also has small gradients, and a net that learns fine has no problem to fix. Layers whose
gradient is mostly exactly zero (median 0) are left out: no signal at all is what dead ReLUs
give (dead_relu), a vanishing signal is small but not zero.

Total norm only (every Hugging Face Trainer run logs `train/grad_norm`, Lightning
`grad_2.0_norm_total`; no per-layer data): the total is dominated by the layers nearest the
loss, so a signal dying on its way back (the spread) cannot be seen, only a net where no
weight gets a gradient. Judged conservatively, with all of:
- the loss is flat: progress below `total_max_progress`;
- the median total norm at or below `total_floor` (healthy fine-tunes sit at ~0.05-100, a
  converged one at ~0.05-1; the total is at least the largest layer's norm, so this is
  stricter than the per-layer floor);
- the median total norm at or below `total_per_loss` x the median train loss: a converged net's
  gradient shrinks with its loss, a stuck net's stays tiny while its loss stays high (a model
  that starts converged, with a tiny loss and tiny gradients, is not stuck). The ratio does
  not depend on the loss's units (mean or sum over the batch scales both).
Such a finding says it was judged from the total only, with confidence at most
`total_only_confidence`; per-layer norms would show where the signal dies. Where the total
shows nothing, the rule says *not assessed* rather than "fine": the total cannot clear a run.
Infinite per-layer norms, or a loss gone NaN/inf, are gradients that blew up, not ones that
vanished: no finding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves, gradients
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, msg, train_progress
from diagnostics.rundata import RunData

ID = "vanishing_gradient"
TITLE = "Vanishing gradients"
SHORT_NAME = "Vanishing gradients"
STAGE = 2
NEEDS = (("grad_norm/*", "train/loss"), ("hist:grad/*", "train/loss"),
         ("grad_norm/total", "train/loss"))  # the total alone: conservatively (see above)
TEXT = {
    "to_log": "log per-layer gradient norms (grad_norm/<layer>) and train/loss",
    "spread": "Gradients vanish on the way back: {low_layer} gets a median gradient norm of "
              "{low} against {high} for {high_layer} (ratio {value}, threshold {threshold}), "
              "and train/loss made only {progress_pct}% progress.",
    "floor": "No layer gets a usable gradient: the largest median gradient norm is {value} "
             "({high_layer}; threshold {threshold}), and train/loss made only {progress_pct}% "
             "progress.",
    "total": "The weights get almost no gradient: the total gradient norm ({tag}) has a median "
             "of {value} (threshold {threshold}), {per_loss} of the train/loss level it should "
             "reduce (threshold {per_loss_threshold}), and train/loss made only {progress_pct}% "
             "progress. Judged from the total norm only: per-layer gradient norms "
             "(grad_norm/<layer>) would show where the signal dies.",
    "total_cannot_clear": "the loss barely moves, and only the total gradient norm is logged: the "
                          "total is dominated by the layers nearest the loss, so it cannot show a "
                          "gradient dying on its way back to the first layers (it would, were no "
                          "weight getting a gradient at all)",
}


@dataclass(frozen=True)
class Thresholds:
    max_ratio: float = 1e-3  # smallest / largest per-layer median gradient norm
    ratio_full_at: float = 1e-5
    floor: float = 1e-3  # largest per-layer (or total) median gradient norm
    floor_full_at: float = 1e-5
    max_progress: float = 0.5  # fires only when train/loss dropped less than this
    persist: int = 3  # the per-step condition must hold this many points for the onset
    # Total norm only (no per-layer data), all must hold:
    total_max_progress: float = 0.1  # the loss is flat
    total_floor: float = 1e-4  # median total norm; healthy fine-tunes sit at ~0.05-100
    total_floor_full_at: float = 1e-7
    total_per_loss: float = 1e-3  # median total norm / median train loss
    total_only_confidence: float = 0.6  # the most a judgement from the total alone gets


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    loss = run.scalar("train/loss")
    if loss is not None and sig.first_nonfinite_step(loss) is not None:
        return None  # the loss went NaN/inf: gradients blew up (divergence), they did not vanish
    progress = train_progress(ID, run)
    if isinstance(progress, NotAssessed) or progress >= th.max_progress:
        return progress if isinstance(progress, NotAssessed) else None
    layers, family = gradients.layer_norms(run)
    if not layers:
        return _from_total(run, th, progress)
    frame = pd.concat(layers, axis=1).sort_index()
    if not np.isfinite(frame.to_numpy(dtype=np.float64)[~np.isnan(frame.to_numpy(dtype=np.float64))]).all():
        return None  # inf norms: gradients blew up (exploding/divergence), nothing vanished
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
            ID, message="floor", severity=Severity.WARNING,
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
        ID, message="spread", severity=Severity.WARNING,
        confidence=sig.confidence(ratio, th.max_ratio, th.ratio_full_at), onset_step=onset,
        evidence=[Evidence(tag=_tag(family, low_layer), steps=(onset, last),
                           statistic="smallest / largest layer norm", value=ratio,
                           threshold=th.max_ratio, marks={"largest": high})],
        value=ratio, threshold=th.max_ratio, **values)


def _from_total(run: RunData, th: Thresholds, progress: float) -> Finding | NotAssessed | None:
    """The judgement from the total norm alone (see the module docstring): it can find a net
    where no weight gets a gradient, but not clear one whose early layers starve."""
    total = sig.finite(run.scalar("grad_norm/total"))
    loss = sig.finite(run.scalar("train/loss"))
    if progress >= th.total_max_progress or not len(total) or not len(loss):
        return None
    cannot_clear = NotAssessed(rule_id=ID, reason=msg(ID, "total_cannot_clear"), to_log=msg(ID, "to_log"))
    level = float(total.median())
    if not 0 < level <= th.total_floor:  # exactly 0: no gradient at all (dead units), or none computed
        return cannot_clear
    per_loss = level / float(loss.median())  # the loss is positive (train_progress checked it)
    if per_loss > th.total_per_loss:
        return cannot_clear
    onset = _onset(total <= th.total_floor, th.persist)
    confidence = min(th.total_only_confidence,
                     sig.confidence(level, th.total_floor, th.total_floor_full_at))
    return finding(
        ID, message="total", severity=Severity.WARNING,
        confidence=confidence, onset_step=onset,
        evidence=[Evidence(tag="grad_norm/total", steps=(onset, int(total.index[-1])),
                           statistic="median total norm", value=level, threshold=th.total_floor,
                           marks={"level": th.total_floor, "per_loss": per_loss})],
        tag=run.originals_for("grad_norm/total")[0], value=level, threshold=th.total_floor,
        per_loss=per_loss, per_loss_threshold=th.total_per_loss,
        progress_pct=100 * max(progress, 0.0))


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


def _total_only(name: str, norm: float, loss: float) -> RunData:
    """A Hugging Face-like run: train/loss and the total gradient norm, both flat and noisy."""
    ts = curves.train_steps()
    rng = np.random.default_rng(2)
    return (SyntheticRun(name)
            .scalar("train/loss", ts, loss * np.exp(0.02 * rng.standard_normal(len(ts))))
            .scalar("grad_norm/total", ts, norm * np.exp(0.3 * rng.standard_normal(len(ts))))).build()


def _total_only_stuck() -> RunData:
    # Loss at chance (ln 2) and no gradient anywhere: saturated units, or weights far too small.
    return _total_only("hf_stuck", 3e-7, 0.69)


def _total_only_healthy_small() -> RunData:
    # A flat fine-tune whose gradients are small (0.05, the bottom of HF's healthy range).
    return _total_only("hf_small_grads", 0.05, 0.69)


def _total_only_converged_from_the_start() -> RunData:
    # A pretrained model that already fits: loss 2e-3, flat, and a gradient to match (5e-5).
    # Tiny in absolute terms, but not next to its loss: nothing is stuck.
    return _total_only("hf_fits_already", 5e-5, 2e-3)


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


EXAMPLES = Examples(fires=(_deep_sigmoid, _tiny_init, _total_only_stuck),
                    quiet=(_healthy, _converged_small_grads, _healthy_sigmoid_spread,
                           _all_dead_zero_grads))
# Total norm only, loss flat, gradients not tiny next to the loss: not assessed (see above).
CANNOT_CLEAR = (_total_only_healthy_small, _total_only_converged_from_the_start)
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
