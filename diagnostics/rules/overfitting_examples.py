"""Synthetic runs on which the overfitting rule must fire, and runs on which it must stay quiet.

The rule declares them as its `EXAMPLES` (`diagnostics.rules.overfitting`); tests build each
one. Each quiet run stands for one reason not to call a rise overfitting (noise, a stopper that
kept the best checkpoint, a perfect val/acc, training that worsened too).
"""
from __future__ import annotations

import numpy as np

from diagnostics.rules import curves
from diagnostics.rules.base import SyntheticRun
from diagnostics.rundata import RunData


def u_shaped_val(seed: int = 0) -> RunData:
    run = SyntheticRun("overfit")
    ts, vs = curves.train_steps(), curves.val_steps()
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.01, 50, noise=0.2, seed=seed))
    dip = curves.u_shaped(vs)
    rng = np.random.default_rng(seed)
    return run.scalar("val/loss", vs, dip * np.exp(0.03 * rng.standard_normal(len(vs)))).build()


def late_rise() -> RunData:
    run = curves.healthy(SyntheticRun("late_rise"), val_floor=0.2)
    vs = curves.val_steps()
    val = curves.decay(vs, 2.3, 0.2, 60)
    val[-6:] = [0.26, 0.3, 0.33, 0.36, 0.4, 0.45]
    return run.scalar("val/loss", vs, val).build()


def healthy() -> RunData:
    return curves.healthy().build()


def one_bad_epoch() -> RunData:
    run = curves.healthy(SyntheticRun("blip"))
    vs = curves.val_steps()
    val = curves.decay(vs, 2.3, 0.12, 60, noise=0.02)
    val[12] *= 2.0  # one noisy evaluation, not a trend
    return run.scalar("val/loss", vs, val).build()


def healthy_creep() -> RunData:
    # A big healthy net: val loss creeps from 0.134 to 0.142 (+6 %), giving back < 1 % of the
    # 2.3 -> 0.13 improvement and climbing too little to be a trend. Not worth a finding.
    run = curves.healthy(SyntheticRun("creep"))
    vs = curves.val_steps()
    val = np.r_[curves.decay(vs[:9], 1.6, 0.13, 30), np.linspace(0.134, 0.142, len(vs) - 9)]
    return run.scalar("val/loss", vs, val).build()


def steady_climb() -> RunData:
    # The same net trained on: val loss climbs at every evaluation from 0.134 to 0.161 (+20 %)
    # while train loss keeps falling. It gives back < 2 % of the 2.3 -> 0.13 improvement, but
    # a climb that steady is overfitting to an engineer (real forecasters: +17 %, +20 %).
    run = curves.healthy(SyntheticRun("climb"))
    vs = curves.val_steps()
    val = np.r_[curves.decay(vs[:9], 1.6, 0.13, 30), np.linspace(0.134, 0.161, len(vs) - 9)]
    return run.scalar("val/loss", vs, val).build()


def few_evaluations() -> RunData:
    # A 3-epoch fine-tune evaluated once per epoch: 0.263, 0.268, 0.299 while train falls.
    run = SyntheticRun("three_evals")
    ts = np.arange(10, 9380, 10)
    run.scalar("train/loss", ts, curves.decay(ts, 0.69, 0.17, 1200, noise=0.3))
    return run.scalar("val/loss", [3125, 6250, 9375], [0.2626, 0.268, 0.2986]).build()


def metric_peaks() -> RunData:
    # A detector validated only by mAP: 0.05 -> 0.79 at epoch 60, then back to 0.63 while the
    # training loss keeps falling.
    run = SyntheticRun("map_drop")
    epochs = np.arange(150)
    run.scalar("train/loss", epochs, curves.decay(epochs, 0.2, 0.02, 30, noise=0.02))
    m = 0.05 + 0.74 * (1 - np.exp(-epochs / 15)) - 0.0018 * np.maximum(epochs - 60, 0)
    run.scalar("metrics/mAP_0.5", epochs, m)
    built = run.build()
    return built.with_mapping({"metrics/mAP_0.5": "val/metric"})


def metric_saturated() -> RunData:
    # mAP climbs to 0.99 and stays: nothing to lose.
    run = SyntheticRun("map_fine")
    epochs = np.arange(150)
    run.scalar("train/loss", epochs, curves.decay(epochs, 0.2, 0.02, 30, noise=0.02))
    rng = np.random.default_rng(1)
    m = np.minimum(0.99, 0.05 + 0.94 * (1 - np.exp(-epochs / 20))) - 0.004 * rng.random(150)
    run.scalar("metrics/mAP_0.5", epochs, m)
    return run.build().with_mapping({"metrics/mAP_0.5": "val/metric"})


def both_rise() -> RunData:
    run = SyntheticRun("unstable")
    ts, vs = curves.train_steps(), curves.val_steps()
    return run.scalar("train/loss", ts, curves.u_shaped(ts, 0.3)).scalar(
        "val/loss", vs, curves.u_shaped(vs, 0.3)).build()


def _stopped_run(epochs: int, patience: int, name: str) -> RunData:
    # Val loss falls to its minimum at epoch 8, then rises for the rest of the run: what an
    # early stopper with `patience` sees before it ends the run at epoch 8 + patience.
    run = SyntheticRun(name, config={"early_stopping_patience": patience})
    ts, vs = curves.train_steps(epochs), curves.val_steps(epochs)
    run.scalar("train/loss", ts, curves.decay(ts, 2.3, 0.05, 40, noise=0.2))
    val = curves.u_shaped(vs, 0.5, 1.8, climb=0.006, after=8 * curves.STEPS_PER_EPOCH)
    return run.scalar("val/loss", vs, val).build()


def early_stopped() -> RunData:
    # Stopped 5 epochs after the minimum by its patience-5 stopper: best.pt is the minimum.
    return _stopped_run(epochs=13, patience=5, name="early_stopped")


def patience_but_trained_on() -> RunData:
    # The config names a patience, yet 12 epochs followed the minimum: nothing stopped it.
    return _stopped_run(epochs=20, patience=3, name="patience_ignored")


def _with_val_acc(name: str, losses: RunData, acc) -> RunData:
    """`losses`' train and val loss curves, plus val/acc from `acc(val_steps)`."""
    run = SyntheticRun(name)
    for tag in ("train/loss", "val/loss"):
        series = losses.scalar(tag)
        run.scalar(tag, series.index, series.to_numpy())
    vs = curves.val_steps()
    return run.scalar("val/acc", vs, acc(vs)).build()


def u_shaped_with_acc() -> RunData:
    # Memorising noisy labels: val/acc falls from 0.86 to 0.72 as val/loss climbs.
    return _with_val_acc("overfit_acc", u_shaped_val(),
                         lambda vs: 0.72 + 0.14 * np.exp(-np.maximum(vs - 100, 0) / 80))


def noise_at_floor() -> RunData:
    # A real Keras log (a bird classifier) that starts at a floor: fine-tuned or resumed, val
    # loss ~1e-4 from the first epoch and jumping +-30 % epoch to epoch; the last epochs sit
    # ~1x that jitter above the minimum. val/acc left out: the jitter test alone decides.
    run = SyntheticRun("floor")
    epochs = np.arange(30)
    run.scalar("train/loss", epochs, curves.decay(epochs, 3e-4, 8e-5, 15, noise=0.1))
    val = 1e-4 * np.array([4.7, 4.8, 2.7, 3.8, 2.7, 3.2, 3.8, 2.4, 2.4, 2.8, 2.1, 2.7, 2.6, 2.4,
                           1.7, 2.4, 1.9, 1.5, 1.8, 1.5, 2.0, 1.6, 1.3, 1.8, 0.79, 1.0, 1.05,
                           1.1, 1.7, 1.3])
    return run.scalar("val/loss", epochs, val).build()


def perfect_val_acc() -> RunData:
    # A clean val-loss rise while every validation sample stays correctly classified.
    return _with_val_acc("perfect", late_rise(), lambda vs: np.ones(len(vs)))
