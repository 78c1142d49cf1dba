"""dead_relu — a large share of ReLU units output zero for every input and no longer learn.

Why it matters: a dead unit passes no gradient, so it never recovers; when most of a layer
dies (large negative biases, a too-high learning rate) the network loses its capacity and
the loss stalls (documents' order: second stage, "cannot learn").

Evidence: `dead_frac/<act>` (fraction of units that are 0 on the whole batch), else
`act/<act>` histograms (share of values at or below zero: a per-value proxy, so it has its
own, higher threshold), each as its median over the second half of the run (dead units stay
dead; early transients do not count), and `train/loss`. Gated on poor progress: some dead
units in a net that learns fine is not a finding. Both also come under everyday names
(`dead_relu/<layer>`, `activations/<layer>`, ...: `tag_names.ALIASES`); a `dead_frac` series with
values above 1 is a count or a percentage, not a fraction, and is left out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics.histogram_stats import hist_mass_at_or_below_zero
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, msg, train_progress
from diagnostics.rules.gradients import natural_key
from diagnostics.rundata import RunData

ID = "dead_relu"
TITLE = "Dead ReLUs"
SHORT_NAME = "Dead ReLUs"
STAGE = 2
NEEDS = (("dead_frac/*", "train/loss"), ("hist:act/*", "train/loss"))
TEXT = {
    "to_log": "log the fraction of dead units per ReLU layer (dead_frac/<layer>) or "
              "activation histograms (act/<layer>), and train/loss",
    "found": "{value_pct}% of the units in {layer} are dead ({statistic}, median over the second "
             "half; threshold {threshold_pct}%) and train/loss made only {progress_pct}% progress.",
    "not_fractions": "the dead-unit series (dead_frac/<layer>) take values above 1: counts or "
                     "percentages, not the fraction of dead units this rule judges",
    # the statistic judged, by where it came from (also `Evidence.statistic`, as it is)
    "dead_frac": "dead-unit fraction",
    "hist": "share of activations at or below 0",
}


@dataclass(frozen=True)
class Thresholds:
    min_dead: float = 0.5  # dead_frac: median over the second half, worst layer
    min_zero_mass: float = 0.9  # act histograms: share of values at/below 0, worst layer
    max_progress: float = 0.5  # fires only when train/loss dropped less than this
    persist: int = 3  # points for the onset
    full_at: float = 1.0  # the share dead at which confidence reaches 1 (every unit)


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    progress = train_progress(ID, run)
    if isinstance(progress, NotAssessed) or progress >= th.max_progress:
        return progress if isinstance(progress, NotAssessed) else None
    layers, source = _fractions(run)
    if not layers:  # only dead_frac series that are not fractions
        return NotAssessed(rule_id=ID, reason=msg(ID, "not_fractions"), to_log=msg(ID, "to_log"))
    threshold = th.min_dead if source == "dead_frac" else th.min_zero_mass
    frame = pd.concat(layers, axis=1).sort_index()
    late = frame.iloc[len(frame) // 2:].median().dropna()
    if late.empty:
        return None
    layer = str(late.idxmax())
    value = float(late.max())
    if not value >= threshold:
        return None
    series = frame[layer].dropna()
    i = sig.first_persistent((series >= threshold).to_numpy(), min(th.persist, len(series)))
    onset = int(series.index[i if i is not None else len(series) // 2])
    tag = f"dead_frac/{layer}" if source == "dead_frac" else f"act/{layer}"
    return finding(
        ID, message="found", severity=Severity.WARNING,
        confidence=sig.confidence(value, threshold, th.full_at) if threshold < th.full_at else 1.0,
        onset_step=onset,
        evidence=[Evidence(tag=tag, steps=(onset, int(series.index[-1])),
                           statistic=TEXT[source], value=value, threshold=threshold,
                           marks={"level": threshold, "progress": progress})],
        value_pct=100 * value, layer=layer, statistic=msg(ID, source),
        threshold_pct=100 * threshold, progress_pct=100 * max(progress, 0.0),
    )


def _fractions(run: RunData) -> tuple[dict[str, pd.Series], str]:
    layers = {k: v for k, v in run.layers("dead_frac").items() if not (v > 1).any()}  # fractions only
    if layers:
        return {k: layers[k] for k in sorted(layers, key=natural_key)}, "dead_frac"
    out = {}
    for tag in run.histogram_tags("act"):
        canon = run.tag_map.get(tag) or tag
        out[canon.partition("/")[2] or tag] = run.histogram_statistic(tag, hist_mass_at_or_below_zero)
    return out, "hist"


# ---- examples ---------------------------------------------------------------------------
def _with_dead(name: str, dead: dict[str, float], loss_end: float) -> RunData:
    ts = curves.train_steps()
    run = SyntheticRun(name).scalar("train/loss", ts, curves.decay(ts, 2.3, loss_end, 60,
                                                                   noise=0.05))
    rng = np.random.default_rng(1)
    for layer, frac in dead.items():
        run.scalar(f"dead_frac/{layer}", ts, np.clip(frac + 0.05 * rng.standard_normal(len(ts)),
                                                     0, 1))
    return run.build()


def _all_dead() -> RunData:
    return _with_dead("negative_bias", {"act1": 0.9, "act2": 1.0, "act3": 1.0}, 2.30)


def _from_histograms(name: str, loss: float, zero_mass: float) -> RunData:
    """A flat train loss and two layers' activation histograms with `zero_mass` at <= 0."""
    ts = curves.train_steps()
    run = SyntheticRun(name).scalar("train/loss", ts, np.full(len(ts), loss))
    for layer in ("act1", "act2"):
        curves.relu_histogram(run, f"act/{layer}", ts[::4], zero_mass=zero_mass)
    return run.build()


def _histograms_only() -> RunData:
    return _from_histograms("hist_dead", 2.3, zero_mass=0.98)


def _some_dead_but_learning() -> RunData:
    return _with_dead("learns", {"act1": 0.3, "act2": 0.7}, 0.05)


def _healthy() -> RunData:
    return _with_dead("healthy", {"act1": 0.0, "act2": 0.02}, 0.03)


def _stalled_but_alive() -> RunData:
    # Underfitting for another reason: units are alive.
    return _from_histograms("alive", 2.0, zero_mass=0.5)


EXAMPLES = Examples(fires=(_all_dead, _histograms_only),
                    quiet=(_some_dead_but_learning, _healthy, _stalled_but_alive))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
