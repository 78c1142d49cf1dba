"""Each scenario shows its symptom (and not the others it promises not to) for seeds 0, 1, 2.

Symptoms are measured from `TrainResult.history` (in memory), never from event files: the
event-file reader and the rules belong to `diagnostics/`. The thresholds here are the
trainer's own sanity bars, deliberately far from both the healthy and the faulty values.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from trainers.config import apply_change
from trainers.loop import TrainResult, train
from trainers.scenarios import EXPECTED, RULES, SCENARIOS, scenario_config

SEEDS = (0, 1, 2)


def symptoms(result: TrainResult) -> dict[str, bool | None]:
    """Which problems the run shows; None where the history cannot tell."""
    h = result.history
    out: dict[str, bool | None] = {"divergence": result.state == "diverged"}

    total = np.nan_to_num(h.series("grad_norm/total"), nan=np.inf)
    out["exploding_gradient"] = bool(total.max() >= 100 * total[0])

    layers = [k for k in h.last("grad_norm") if k != "total"]
    first = np.median([v for v in h.series(f"grad_norm/{layers[0]}") if math.isfinite(v)])
    last = np.median([v for v in h.series(f"grad_norm/{layers[-1]}") if math.isfinite(v)])
    out["vanishing_gradient"] = bool(first < 1e-2 * last) if last > 0 else None

    out["dead_relu"] = max(h.last("dead_frac").values()) >= 0.5

    if len(h.train_loss) >= 4:
        ups = np.mean(np.diff(h.train_loss) > 0)
        late = np.asarray(h.step_loss[len(h.step_loss) // 2:])
        swing = np.median(np.abs(np.diff(late))) / h.step_loss[0]
        out["lr_oscillation"] = bool(ups >= 0.3 and swing >= 0.1 and np.isfinite(late).all())
        out["underfitting"] = h.train_acc[-1] < 0.7
        best = int(np.argmin(h.val_loss))
        rise = (h.val_loss[-1] - h.val_loss[best]) / h.val_loss[best]
        out["overfitting"] = bool(rise >= 0.3 and h.train_loss[-1] <= 0.5 * h.train_loss[best])
    else:  # diverged within the first epochs: no epoch curves to judge
        out.update(lr_oscillation=None, underfitting=None, overfitting=None)
    return out


@pytest.fixture(scope="module")
def results(scenario_runs) -> dict[tuple[str, int], TrainResult]:
    return {(name, seed): scenario_runs[name, seed] for name in SCENARIOS for seed in SEEDS}


def test_expected_covers_every_scenario_with_known_rules():
    assert set(EXPECTED) == set(SCENARIOS)
    for name, exp in EXPECTED.items():
        assert set(exp["must"]) | set(exp["must_not"]) <= set(RULES), name
        assert not set(exp["must"]) & set(exp["must_not"]), name


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("seed", SEEDS)
def test_scenario_shows_its_symptom_only(results, name, seed):
    found = symptoms(results[name, seed])
    for rule in EXPECTED[name]["must"]:
        assert found[rule] is True, f"{name} s{seed}: {rule} missing ({found})"
    for rule in EXPECTED[name]["must_not"]:
        assert not found[rule], f"{name} s{seed}: unexpected {rule} ({found})"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_healthy_learns_well(results, seed):
    h = results["healthy", seed].history
    assert results["healthy", seed].state == "done"
    assert h.val_acc[-1] > 0.9
    assert min(h.val_loss) < 0.3 * h.val_loss[0]


@pytest.mark.slow
def test_diverging_run_records_it_and_keeps_a_valid_config(results):
    result = results["exploding_gradient", 0]
    status = json.loads((result.run_dir / "status.json").read_text())
    assert status["state"] == "diverged"
    assert status["diverged_at_step"] == result.diverged_at_step is not None
    assert status["finished"] is not None
    loss_steps = dict(result.history.scalars["train/loss"])
    assert not math.isfinite(loss_steps[result.diverged_at_step])  # the NaN/inf itself is logged
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config == scenario_config("exploding_gradient", 0).to_dict()
    assert (result.run_dir / "checkpoints" / "final.pt").exists()


def test_same_seed_gives_the_same_losses_on_cpu(tmp_path):
    config = apply_change(scenario_config("lr_oscillation", 1), {"device": "cpu", "epochs": 3})
    first, again = (train(config, tmp_path, progress=False).history for _ in range(2))
    assert again.step_loss == first.step_loss
    assert again.val_loss == first.val_loss
    assert again.scalars["grad_norm/total"] == first.scalars["grad_norm/total"]
    other = train(apply_change(config, {"seed": 2}), tmp_path, progress=False).history
    assert other.step_loss != first.step_loss
