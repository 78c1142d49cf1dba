"""Re-runs: parent config + one change, lineage on disk, the command line's contract."""
import json
import os
import subprocess
import sys

import pytest

from trainers.config import ConfigError, TrainConfig
from trainers.jobs import train_into
from trainers.lineage import ancestors, lineage_tree, read_lineage
from trainers.rerun import can_rerun, plan_rerun, rerun

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "p"
    train_into(TrainConfig(optimizer="sgd", lr=0.05, epochs=2, hist_every=0), run, progress=False)
    return run


def cli(*args):
    return subprocess.run([sys.executable, "-m", "trainers", "rerun", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_command_line_rerun_is_parent_config_plus_the_resolved_change(parent):
    done = cli(parent, "--change", "lr=×0.1", "--remedy", "lr_oscillation.lower_lr")
    assert done.returncode == 0, done.stderr
    child = done.stdout.strip().splitlines()[-1]
    assert os.path.dirname(child) == str(parent.parent)  # default: next to its parent

    before = json.loads((parent / "config.json").read_text())
    after = json.loads(open(os.path.join(child, "config.json")).read())
    lr = after.pop("lr")
    assert lr == pytest.approx(0.005) and before.pop("lr") == 0.05
    assert after == before  # nothing else changed
    record = read_lineage(child)
    assert record.pop("created") > 0
    assert record == {"parent": "p", "change": {"lr": "×0.1"}, "resolved_change": {"lr": lr},
                      "remedy_id": "lr_oscillation.lower_lr", "rule_id": "lr_oscillation",
                      "seed": None}
    assert json.loads(open(os.path.join(child, "status.json")).read())["state"] == "done"


def test_a_run_without_our_config_cannot_be_rerun(tmp_path):
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    done = cli(tmp_path, "--change", "lr=0.1")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"cannot re-run {tmp_path}: no config.json from Run Doctor's "
                                   "trainer (remedies stay advice)")
    assert can_rerun(tmp_path) == (False, done.stderr.strip())


def test_one_change_per_rerun_unless_a_remedy_couples_two(parent):
    with pytest.raises(ConfigError, match="one change per re-run"):
        plan_rerun(parent, {"lr": 0.1, "dropout": 0.2})
    coupled = plan_rerun(parent, {"init": "he", "activation": "relu"})
    assert coupled.remedy_id == "vanishing_gradient.init_activation"
    assert plan_rerun(parent, {"dropout": "0.2"}).resolved_change == {"dropout": 0.2}
    assert plan_rerun(parent, {"optimizer": "sgd"}).is_noop
    assert cli(parent, "--change", "lr=0.1", "--change", "dropout=0.2").returncode == 2
    assert can_rerun(parent) == (True, "")


def test_reruns_of_reruns_form_a_lineage_tree(tmp_path, parent):
    child = rerun(parent, {"dropout": 0.1}, out=tmp_path, progress=False).run_dir
    grandchild = rerun(child, {"epochs": "+1"}, seed=3, out=tmp_path, progress=False).run_dir
    assert grandchild.name == "p+dropout=0.1+epochs=3+seed=3"
    assert ancestors(grandchild) == [child, parent.resolve()]

    (top,) = lineage_tree(tmp_path)  # the parent lives elsewhere: an external root node
    assert top["run"] == str(parent.resolve()) and top["external"]
    (c,) = top["children"]
    assert (c["name"], c["state"], c["resolved_change"]) == (child.name, "done", {"dropout": 0.1})
    (g,) = c["children"]
    assert (g["seed"], g["resolved_change"], g["children"]) == (3, {"epochs": 3}, [])
    assert read_lineage(grandchild)["parent"] == child.name  # relative: the root can move
