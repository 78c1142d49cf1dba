"""divergence — the loss became NaN/inf, or ran away upwards and never came back.

Why it matters: a diverged run has stopped learning; every later number is garbage, so this
is the first thing to fix (documents' order: the run is broken).

Evidence: `train/loss` and `val/loss`. Non-finite values fire at once (onset = first NaN/inf
step). Otherwise, on the train loss median-smoothed over 10 % of its points: the ratio of its
final level to its running minimum, when that level is also at least `above_start`× the
first logged loss (far worse than the untrained net) and stays there until the end
(persistence: a spike that recovers is not divergence; a loss that bounces around a level up
to ~3× its start — seen with too-high learning rates on our grid — is oscillation). The val loss alone never
signals runaway (rising val loss is
what overfitting looks like).

A relapse is divergence too, without NaN: a loss that had learned (its smoothed minimum at most
`relapse_learned` of where it started), then jumped back to at least `relapse_share` of its
start and stayed there, steadily (median deviation at most `relapse_steady` of the level: a loss
still swinging between low and high is oscillating), to the end, over at least `relapse_persist`
of the run (a real run: 68
-> 7.1, back to 68 at step 10k and 51-61 for the remaining 165k steps, its val loss frozen at
one value: the model collapsed). It is smoothed over a short window (2 % of the points): the
learning phase before a collapse can be brief, and a 10 % median would erase it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.messages import Msg
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, fmt, unusable_loss
from diagnostics.rundata import RunData

ID = "divergence"
TITLE = "The loss diverges (NaN/inf or runaway)"
SHORT_NAME = "Divergence"
STAGE = 1
NEEDS = (("train/loss",), ("val/loss",))
TEXT = {
    "to_log": "log the training loss (train/loss) every few steps",
    "nonfinite": "{tag} became {bad} at step {onset} (last finite value {last}); the run is broken.",
    "none": "none",
    "runaway": "train/loss ran away: from step {onset} it rose to {ratio}× its minimum ({low} → "
               "{end}), far above where it started ({start}), and never came back (threshold "
               "{threshold}×).",
    "relapse": "train/loss relapsed: it had fallen from {start} to {low}, then from step {onset} went "
               "back to {end} ({share_pct}% of where it started, threshold {threshold_pct}%) and "
               "stayed there for the rest of the run ({held_pct}% of it): the model collapsed.",
}


@dataclass(frozen=True)
class Thresholds:
    rise_factor: float = 3.0  # smoothed loss / its running minimum that counts as runaway
    above_start: float = 4.0  # ... and the smoothed loss / the first logged loss (a too-high
    # lr can keep a loss bouncing at ~3x its start: oscillation, not runaway)
    full_at: float = 30.0  # rise at which confidence reaches 1
    smooth_fraction: float = 0.1  # median window as a fraction of the points (min smooth_min)
    smooth_min: int = 3  # the smallest median window (points), runaway and relapse alike
    min_points: int = 5  # fewer finite train-loss points: runaway is not judged
    persist: int = 3  # the runaway must hold for this many points (or to the end)
    relapse_share: float = 0.5  # back at this share of the start after having learned
    relapse_persist: float = 0.2  # ... for at least this share of the points, to the end
    relapse_smooth: float = 0.02  # median window for the relapse, as a fraction of the points
    relapse_smooth_max: int = 21  # ... and at most this many points
    relapse_steady: float = 0.1  # the relapsed level's median deviation / its median, at most
    relapse_learned: float = 0.2  # it had learned: its smoothed minimum at most this x its start


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    curves_ = {t: s for t in ("train/loss", "val/loss") if (s := run.scalar(t)) is not None}
    bad = [(step, tag) for tag, series in curves_.items()
           if (step := sig.first_nonfinite_step(series)) is not None]
    if bad:
        onset, tag = min(bad)
        series = curves_[tag]
        before = sig.finite(series[series.index < onset])
        n_bad = int((~np.isfinite(series.to_numpy())).sum())
        last = fmt(float(before.iloc[-1])) if len(before) else Msg(f"{ID}.none")
        return finding(
            ID, message="nonfinite", severity=Severity.CRITICAL,
            confidence=1.0, onset_step=onset,
            evidence=[Evidence(tag=tag, steps=(int(series.index[0]), int(series.index[-1])),
                               statistic="non-finite values", value=float(n_bad), threshold=0.0,
                               marks={"last_finite": float(before.iloc[-1]) if len(before)
                                      else float("nan")})],
            tag=tag, bad=str(float(series[onset])), onset=onset, last=last,
        )
    train = curves_.get("train/loss")
    if train is None or len(train) < th.min_points:
        return None  # only val/loss, all finite: nothing broke that we can see
    unusable = unusable_loss(ID, "train/loss", train)
    if unusable:  # no NaN/inf, and a runaway cannot be judged on this curve
        return unusable
    window = sig.auto_window(len(train), th.smooth_fraction, lo=th.smooth_min)
    start = float(train.iloc[0])
    if sig.smooth_end(train, window) < th.above_start * start:
        return _relapse(train, th)  # not high at the end: no runaway to the end (cheap)
    smooth = sig.smooth(train, window).to_numpy()
    low = np.minimum.accumulate(smooth)
    first = sig.persistent_from_to_end((smooth >= th.rise_factor * low)
                                       & (smooth >= th.above_start * start))
    if first is None or len(smooth) - first < min(th.persist, len(smooth)):
        return _relapse(train, th)
    onset, last = int(train.index[first]), int(train.index[-1])
    end, floor = float(smooth[-1]), float(low[-1])
    ratio = end / floor if floor > 0 else math.inf
    return finding(
        ID, message="runaway", severity=Severity.CRITICAL,
        confidence=sig.confidence(ratio, th.rise_factor, th.full_at), onset_step=onset,
        evidence=[Evidence(tag="train/loss", steps=(onset, last),
                           statistic="final / minimum smoothed loss", value=ratio,
                           threshold=th.rise_factor,
                           marks={"minimum": floor, "start": start,
                                  "level": max(th.rise_factor * floor, th.above_start * start)})],
        onset=onset, ratio=ratio, low=floor, end=end, start=start, threshold=th.rise_factor,
    )


def _relapse(train, th: Thresholds) -> Finding | None:
    """The loss learned, then fell back to near its start and stayed (see the docstring)."""
    window = sig.auto_window(len(train), th.relapse_smooth, lo=th.smooth_min, hi=th.relapse_smooth_max)
    start = float(train.iloc[0])
    if sig.smooth_end(train, window) < th.relapse_share * start:
        return None  # not back near the start at the end (cheap): most runs stop here
    smooth = sig.smooth(train, window).to_numpy()
    low = np.minimum.accumulate(smooth)
    learned = low <= th.relapse_learned * start
    back = learned & (smooth >= th.rise_factor * low) & (smooth >= th.relapse_share * start)
    first = sig.persistent_from_to_end(back)
    if first is None or len(smooth) - first < max(th.persist, th.relapse_persist * len(smooth)):
        return None
    after = train.to_numpy()[first:]
    level = float(np.median(after))
    if np.median(np.abs(after - level)) > th.relapse_steady * level:
        return None  # still swinging between low and high: oscillation, not a collapse
    onset, end, floor = int(train.index[first]), float(smooth[-1]), float(low[-1])
    held = (len(smooth) - first) / len(smooth)
    return finding(
        ID, message="relapse", severity=Severity.CRITICAL,
        confidence=sig.confidence(end / floor if floor > 0 else math.inf, th.rise_factor,
                                  th.full_at), onset_step=onset,
        evidence=[Evidence(tag="train/loss", steps=(onset, int(train.index[-1])),
                           statistic="end level / start", value=end / start,
                           threshold=th.relapse_share,
                           marks={"minimum": floor, "start": start,
                                  "level": th.relapse_share * start})],
        start=start, low=floor, onset=onset, end=end, share_pct=100 * end / start,
        threshold_pct=100 * th.relapse_share, held_pct=100 * held,
    )


# ---- examples ---------------------------------------------------------------------------
def _nan_loss() -> RunData:
    ts = curves.train_steps()
    loss = curves.decay(ts, 2.3, 0.3, 40, noise=0.1)
    loss[len(ts) // 2:] = np.nan
    return SyntheticRun("nan_loss").scalar("train/loss", ts[: len(ts) // 2 + 1],
                                           loss[: len(ts) // 2 + 1]).build()


def _inf_val_loss() -> RunData:
    run = curves.healthy(SyntheticRun("inf_val"))
    vs = curves.val_steps()
    run.scalar("val/loss", vs[:6], [2.0, 1.5, 1.2, 3.0, 50.0, np.inf])
    return run.build()


def _runaway() -> RunData:
    ts = curves.train_steps()
    loss = curves.decay(ts, 2.3, 0.4, 30, noise=0.1)
    loss[len(ts) // 2:] *= np.exp(np.linspace(0, 4, len(ts) - len(ts) // 2))
    return SyntheticRun("runaway").scalar("train/loss", ts, loss).build()


def _healthy() -> RunData:
    return curves.healthy().build()


def _relapsed() -> RunData:
    # Learns 68 -> 7 in the first tenth, then collapses back to ~57 for good (no NaN).
    ts = np.arange(0, 1750, 10)
    rng = np.random.default_rng(3)
    loss = np.where(ts < 160, 7 + 61 * np.exp(-ts / 30), 57 + 3 * rng.standard_normal(len(ts)))
    return SyntheticRun("relapsed").scalar("train/loss", ts, loss).build()


def _warm_restart() -> RunData:
    # A cosine schedule with a warm restart: the loss jumps back up for a while, then falls.
    ts = np.arange(0, 1000, 5)
    loss = np.where(ts < 500, 0.1 + 2.2 * np.exp(-ts / 60), 0.08 + 1.2 * np.exp(-(ts - 500) / 40))
    return SyntheticRun("restart").scalar("train/loss", ts, loss).build()


def _recovered_spike() -> RunData:
    ts = curves.train_steps()
    loss = curves.decay(ts, 2.3, 0.1, 40, noise=0.1)
    loss[40:44] = [5.0, 20.0, 8.0, 3.0]  # a short spike that recovers
    return SyntheticRun("spike").scalar("train/loss", ts, loss).build()


def _bouncing_high() -> RunData:
    # lr far too high: the loss jumps around ~2.5x where it started, finite (lr_oscillation).
    ts = curves.train_steps()
    loss = np.r_[2.3, 1.2, 5.8 * (0.5 + np.random.default_rng(2).random(len(ts) - 2))]
    return SyntheticRun("bouncing_high").scalar("train/loss", ts, loss).build()


def _overfitting_val_only() -> RunData:
    vs = curves.val_steps()
    return SyntheticRun("val_rises").scalar(
        "val/loss", vs, np.r_[np.linspace(2.0, 0.2, 6), np.linspace(0.25, 2.0, 14)]).build()


EXAMPLES = Examples(fires=(_nan_loss, _inf_val_loss, _runaway, _relapsed),
                    quiet=(_healthy, _recovered_spike, _bouncing_high, _overfitting_val_only,
                           _warm_restart))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
