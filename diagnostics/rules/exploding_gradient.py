"""exploding_gradient — gradient norms became non-finite, enormous, or grew by orders of magnitude.

Why it matters: huge gradients make each update overshoot; the loss jumps or turns NaN and
the run is broken (documents' order: first stage).

Evidence: the total gradient norm (`grad_norm/total`, else combined from `grad_norm/<layer>`
or `grad/<layer>` histograms), median-smoothed over `window` points so one spiky batch is
ignored (over at most `window_share` of the points: histograms logged every few hundred steps are
few, and a 5-point median would hide a burst that only the first of them caught):
- non-finite norm: fires at once (onset = first NaN/inf step);
- level: the peak of the smoothed norm at or above `level` (healthy nets with a mean-reduced
  loss sit around 0.01-10; on our grid healthy and oscillating runs peak below 12, exploding
  ones above 600);
- growth: the smoothed norm rising to `growth_factor`× its early level and holding there for
  `persist` points — gated on trouble in the loss (it made little progress, or went
  non-finite), because a healthy net's gradients may grow as it sharpens its predictions
  (runs with a too-high learning rate reach ~10× on our grid).

Total norm only (a Hugging Face Trainer's `train/grad_norm`, Lightning's `grad_2.0_norm_total`,
no per-layer data): the same level and growth tests, so a spike that recovers (real HF runs:
single logged norms up to ~150 while the loss falls) is smoothed away and stays quiet. A
non-finite total norm is different there: mixed-precision training overflows now and then,
the loss scaler skips that step and lowers its scale, and the writer logs inf/NaN for it. So
a non-finite total counts only when the run did not recover: the loss went non-finite too, or
the norm stayed non-finite over its last `persist` points. Otherwise those points are dropped
and the finite ones judged. A finding from the total alone says so (per-layer norms would show
where it starts), with confidence at most `total_only_confidence`: how large a healthy total is
depends on the model's size, which the total alone does not show.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from diagnostics import signals as sig
from diagnostics.model import Evidence, Finding, NotAssessed, Severity
from diagnostics.rules import curves, gradients
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding, msg, train_progress
from diagnostics.rundata import RunData

ID = "exploding_gradient"
TITLE = "Exploding gradients"
SHORT_NAME = "Exploding gradients"
STAGE = 1
NEEDS = (("grad_norm/total",), ("grad_norm/*",), ("hist:grad/*",))
TEXT = {
    "to_log": "log the total gradient norm (grad_norm/total) or per-layer norms "
              "(grad_norm/<layer>) after backward(), before clipping",
    "nonfinite": "The gradient norm ({tag}) became {bad} at step {onset}.{note}",
    "level": "The gradient norm ({tag}) reached {value} from step {onset} ({smoothing}); at "
             "least {threshold} is exploding (healthy runs sit around 0.01-10).{note}",
    "growth": "The gradient norm ({tag}) grew {value}× over its early level ({early} → {peak}) "
              "from step {onset} (threshold {threshold}×) while train/loss made only "
              "{progress_pct}% progress.{note}",
    "smoothed": "median over {n} points",
    "unsmoothed": "a single point: too few to smooth",
    "total_only": " Judged from the total gradient norm only: per-layer norms (grad_norm/<layer>) "
                  "would show where it starts.",
}


@dataclass(frozen=True)
class Thresholds:
    level: float = 100.0  # peak of the smoothed total gradient norm
    level_full_at: float = 1e4
    growth_factor: float = 50.0  # smoothed norm / early level
    growth_full_at: float = 1e4
    window: int = 5  # median-smoothing window (points)
    window_share: float = 0.25  # ... over at most this share of the points (sparse logs)
    persist: int = 3  # points the growth must hold (or to the end)
    early_points: int = 3  # the early level: median of this many first points
    max_progress: float = 0.5  # growth counts only when train/loss dropped less than this
    total_only_confidence: float = 0.6  # the most a judgement from the total alone gets


def check(run: RunData, th: Thresholds) -> Finding | NotAssessed | None:
    norm, tag = gradients.total_norm(run)
    if norm is None or not len(norm):
        return None
    if tag != "grad_norm/total" or gradients.layer_norms(run)[0]:
        return _judge(run, norm, tag, th)
    # the total alone (see the module docstring)
    if _overflow_skipped(norm, run.scalar("train/loss"), th.persist):
        norm = sig.finite(norm)  # mixed-precision overflows the run recovered from
    result = _judge(run, norm, tag, th) if len(norm) else None
    if not isinstance(result, Finding):
        return result
    note = msg(ID, "total_only")
    return replace(result, confidence=min(result.confidence, th.total_only_confidence),
                   message=result.message.but(note=note))


def _judge(run: RunData, norm: pd.Series, tag: str, th: Thresholds) -> Finding | NotAssessed | None:
    """Non-finite, level and growth tests on a total gradient norm."""
    last = int(norm.index[-1])
    bad_step = sig.first_nonfinite_step(norm)
    if bad_step is not None:
        return _finding("nonfinite", 1.0, bad_step,
                        Evidence(tag=tag, steps=(int(norm.index[0]), last),
                                 statistic="non-finite values",
                                 value=float((~np.isfinite(norm.to_numpy())).sum()),
                                 threshold=0.0),
                        tag=tag, bad=str(float(norm[bad_step])), onset=bad_step)
    # sparse logs: a window must not swallow the burst
    window = min(th.window, max(1, int(len(norm) * th.window_share)))
    values = norm.to_numpy(dtype=np.float64)  # all finite here: numpy, no pandas overhead
    smooth = sig.smooth_values(values, window)
    peak = float(smooth.max())
    if peak >= th.level:
        onset = int(norm.index[int(np.argmax(smooth >= th.level))])
        return _finding("level", sig.confidence(peak, th.level, th.level_full_at), onset,
                        Evidence(tag=tag, steps=(onset, last), statistic="peak smoothed norm",
                                 value=peak, threshold=th.level, marks={"level": th.level}),
                        tag=tag, value=peak, threshold=th.level, onset=onset,
                        smoothing=msg(ID, "unsmoothed") if window == 1 else msg(ID, "smoothed", n=window))
    if len(norm) < th.early_points + th.persist:
        return None
    early = float(np.median(values[: th.early_points]))
    if early <= 0:
        return None
    start = sig.first_persistent(smooth >= th.growth_factor * early, th.persist)
    if start is None:
        return None
    loss = run.scalar("train/loss")
    if loss is None:  # growth alone is also what healthy sharpening looks like
        return None
    loss_broke = sig.first_nonfinite_step(loss) is not None
    progress = train_progress(ID, run)
    if isinstance(progress, NotAssessed):  # the loss cannot tell trouble either
        return progress
    if not loss_broke and progress >= th.max_progress:
        return None
    onset = int(norm.index[start])
    return _finding("growth", sig.confidence(peak / early, th.growth_factor, th.growth_full_at),
                    onset,
                    Evidence(tag=tag, steps=(onset, last), statistic="growth over early level",
                             value=peak / early, threshold=th.growth_factor,
                             marks={"early": early, "level": th.growth_factor * early}),
                    tag=tag, value=peak / early, early=early, peak=peak, onset=onset,
                    threshold=th.growth_factor, progress_pct=100 * max(progress, 0.0))


def _overflow_skipped(norm: pd.Series, loss: pd.Series | None, persist: int) -> bool:
    """Whether any non-finite norms look like a loss scaler's skipped steps, which the run
    recovered from: the loss stayed finite, and the norm is not non-finite over all of its
    last `persist` points (an overflow may fall on the last logged step, as on any other)."""
    stuck = not np.isfinite(norm.to_numpy()[-persist:]).any()
    return not stuck and (loss is None or sig.first_nonfinite_step(loss) is None)


def _finding(kind: str, confidence: float, onset_step: int, evidence: Evidence, **values) -> Finding:
    return finding(ID, message=kind, severity=Severity.CRITICAL, confidence=confidence,
                   onset_step=onset_step, evidence=[evidence], **values, note="")


# ---- examples ---------------------------------------------------------------------------
def _run(name: str, norm: np.ndarray, loss: np.ndarray | None = None) -> SyntheticRun:
    ts = curves.train_steps()[: len(norm)]
    run = SyntheticRun(name).scalar("grad_norm/total", ts, norm)
    if loss is not None:
        run.scalar("train/loss", ts, loss)
    return run


def _growing_then_nan() -> RunData:
    ts = curves.train_steps()
    n = len(ts) // 2
    norm = 0.5 * np.exp(np.linspace(0, 12, n))
    norm[-1] = np.inf
    loss = np.r_[np.linspace(2.3, 2.0, n - 1), np.nan]
    return _run("nan_grad", norm, loss).build()


def _huge_level() -> RunData:
    ts = curves.train_steps()
    norm = curves.decay(ts, 8000, 400, 100, noise=0.3)
    return _run("huge", norm, curves.decay(ts, 9000, 90, 100, noise=0.3)).build()


def _growth_with_stalled_loss() -> RunData:
    ts = curves.train_steps()
    norm = np.r_[np.full(20, 0.5), 0.5 * np.exp(np.linspace(0, 5, len(ts) - 20))]
    return _run("growth", norm, curves.decay(ts, 2.3, 1.9, 100, noise=0.05)).build()


def _per_layer_histograms() -> RunData:
    run = SyntheticRun("hist_growth")
    ts = curves.train_steps()
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 2.2, 100, noise=0.05))
    hs = ts[::4]
    for layer in ("fc1", "fc2"):
        curves.grad_histogram(run, f"grad/{layer}", hs, 1e-3 * np.exp(np.linspace(0, 8, len(hs))))
    return run.build()


def _healthy() -> RunData:
    ts = curves.train_steps()
    norm = 0.4 + 0.4 * np.exp(-ts / 150) * np.exp(0.3 * np.random.default_rng(0).standard_normal(len(ts)))
    return _run("healthy", norm, curves.decay(ts, 2.3, 0.03, 60, noise=0.3)).build()


def _healthy_growing_norm() -> RunData:
    ts = curves.train_steps()
    norm = 0.05 * np.exp(np.linspace(0, 4.5, len(ts)))  # grows 90x as the net sharpens
    return _run("sharpening", norm, curves.decay(ts, 2.3, 0.02, 60, noise=0.3)).build()


def _one_spike() -> RunData:
    ts = curves.train_steps()
    norm = np.full(len(ts), 0.5)
    norm[30] = 80.0  # one bad batch
    return _run("spike", norm, curves.decay(ts, 2.3, 2.0, 100, noise=0.05)).build()


def _nan_norm_to_the_end() -> RunData:
    # The total turns NaN and stays NaN: every step is skipped (or applied as NaN) from there on,
    # and the loss stops moving although it is still logged as finite.
    ts = curves.train_steps()
    norm = np.full(len(ts), 0.8)
    norm[len(ts) // 2:] = np.nan
    loss = np.r_[curves.decay(ts[: len(ts) // 2], 2.3, 1.5, 60), np.full(len(ts) - len(ts) // 2, 1.5)]
    return _run("nan_to_the_end", norm, loss).build()


def _mixed_precision_overflows() -> RunData:
    # fp16 training: the loss scaler overflows a few times (inf/NaN logged, step skipped) and the
    # run goes on learning; not an explosion.
    ts = curves.train_steps()
    norm = 0.4 + 0.4 * np.exp(-ts / 150)
    norm[[0, 1, 40]] = [np.inf, np.nan, np.inf]
    return _run("amp_overflows", norm, curves.decay(ts, 2.3, 0.05, 60, noise=0.2)).build()


def _hf_spiky_fine_tune() -> RunData:
    # As a real Hugging Face fine-tune logs it: the total norm jumps between ~0.2 and ~70 from
    # one logged step to the next (single points up to ~150) while the loss falls.
    ts = curves.train_steps()
    rng = np.random.default_rng(5)
    norm = np.exp(rng.uniform(np.log(0.2), np.log(70), len(ts)))
    norm[[30, 60]] = [146.0, 98.0]
    return _run("hf_spikes", norm, curves.decay(ts, 0.69, 0.12, 80, noise=0.3)).build()


EXAMPLES = Examples(
    fires=(_growing_then_nan, _huge_level, _growth_with_stalled_loss, _per_layer_histograms,
           _nan_norm_to_the_end),
    quiet=(_healthy, _healthy_growing_norm, _one_spike, _mixed_precision_overflows,
           _hf_spiky_fine_tune),
)
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
