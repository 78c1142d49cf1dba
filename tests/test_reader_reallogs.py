"""Real third-party event files (shared/reallogs, read-only): each behaves as MANIFEST.md's
expectation column says, with the canonical loss/accuracy/lr tags found where present."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from diagnostics import reader
from diagnostics.reader import load

REALLOGS = Path(__file__).resolve().parents[2] / "shared" / "reallogs"
pytestmark = pytest.mark.skipif(not (REALLOGS / "MANIFEST.md").exists(),
                                reason=f"real-log corpus not found at {REALLOGS}")

# file (relative to reallogs) -> (status, writer, expected {canonical: original} when read alone)
# status: run (loads clean) | headless (loads; beginning missing, said so) | truncated (prefix
# read, truncation reported) | empty | profiler | not-event (reported, nothing loaded)
EXPECTED = {
    "Abdul-AA__Text-Generation-With-LSTM/lightning_logs/version_0/events.out.tfevents.1716735746.99c8c45923de.3769.0":
        ("run", "pytorch-lightning", {"train/loss": "train_loss", "val/loss": "val_loss"}),
    "AmelNozieres__Mushrooms_YOLOv5/runs/train/exp/events.out.tfevents.1612791497.amel-system.4684.0":
        ("run", "yolov5", {"opt/lr": "x/lr0",  # no total logged: the components' sum, derived
                           "train/loss": "train/box_loss+cls_loss+obj_loss",
                           "val/loss": "val/box_loss+cls_loss+obj_loss"}),
    "AmritAmar__UnityMLAgents_MoveToGoal/results/MoveToGoalRandom/MoveToGoal/events.out.tfevents.1669173311.PerfectionV1.38700.0":
        ("run", "ml-agents", {"opt/lr": "Policy/Learning Rate"}),
    "CostaFernando__sentiment-with-deep-neural-networks-and-trax/model/eval/events.out.tfevents.1636895654.b02873cb9d21":
        ("run", None, {"val/loss": "eval/metrics/CrossEntropyLoss", "val/acc": "eval/metrics/Accuracy"}),
    "CostaFernando__sentiment-with-deep-neural-networks-and-trax/model/train/events.out.tfevents.1636895653.b02873cb9d21":
        ("run", "trax", {"train/loss": "training/loss", "opt/lr": "training/learning_rate",
                         "grad_norm/total": "training/gradients_l2"}),
    "Dawidemm__pixel-level-image-analysis/lightning_logs/version_0/events.out.tfevents.1698402708.DESKTOP-9B38NSG.13836.0":
        ("run", "pytorch-lightning", {"train/loss": "loss"}),
    "Dawidemm__pixel-level-image-analysis/lightning_logs/version_18/events.out.tfevents.1699741758.DESKTOP-9B38NSG.21216.0":
        ("run", "pytorch-lightning", {}),
    "JustinFletcher__tensorflow-zoo/training/events.out.tfevents.1498960824.fletcher-research":
        ("run", "tensorflow", {}),
    "Yhwani__baseballAI/output/events.out.tfevents.1684254403.DESKTOP-VMUAIIJ.16900.0":
        ("not-event", None, {}),
    "awslabs__sagemaker-debugger/tests/profiler/resources/tfprofiler_timeline_traces/framework/tensorflow/detailed_profiling/2020080513/000000000/events.out.tfevents.1596659864.8c859046be41.ant.amazon.com.profile-empty":
        ("profiler", None, {}),
    "bishalrocks1234__Bird-Classifier/logs/train/events.out.tfevents.1680498864.DESKTOP-1BABQ1P.4116.0.v2":
        ("run", "keras", {}),
    "bishalrocks1234__Bird-Classifier/logs/train/events.out.tfevents.1680499864.DESKTOP-1BABQ1P.4116.7.v2":
        ("run", "keras", {"train/loss": "epoch_loss", "train/acc": "epoch_accuracy"}),
    "bishalrocks1234__Bird-Classifier/logs/train/events.out.tfevents.1685339253.DESKTOP-1BABQ1P.7932.10.v2":
        ("run", "keras", {"train/loss": "epoch_loss", "train/acc": "epoch_accuracy"}),
    "bishalrocks1234__Bird-Classifier/logs/validation/events.out.tfevents.1680499875.DESKTOP-1BABQ1P.4116.8.v2":
        ("run", "keras", {"val/loss": "validation/epoch_loss", "val/acc": "validation/epoch_accuracy"}),
    "bishalrocks1234__Bird-Classifier/logs/validation/events.out.tfevents.1685339262.DESKTOP-1BABQ1P.7932.11.v2":
        ("run", "keras", {"val/loss": "validation/epoch_loss", "val/acc": "validation/epoch_accuracy"}),
    "criteo-research__tf-tile/model_dir/events.out.tfevents.1560535679.C02TJ0GKGTDY":
        ("truncated", "tensorflow", {}),
    "criteo-research__tf-tile/tmp/alaki/eval/events.out.tfevents.1560450413.C02TJ0GKGTDY":
        ("run", "tensorflow", {"val/loss": "eval/loss"}),
    "criteo-research__tf-tile/tmp/alaki/events.out.tfevents.1560450352.C02TJ0GKGTDY":
        ("run", "tf-estimator", {"train/loss": "loss"}),
    "criteo-research__tf-tile/tmp/events.out.tfevents.1560384132.C02TJ0GKGTDY":
        ("truncated", "tensorflow", {}),
    "eadewusic__Traffic-Optimization-Capstone-Project/logs/hardware_ppo/run_1/PPO_1/events.out.tfevents.1760280501.Climiradi.4364.0":
        ("run", "stable-baselines3", {"train/loss": "train/loss", "opt/lr": "train/learning_rate"}),
    "eadewusic__Traffic-Optimization-Capstone-Project/logs/hardware_ppo/run_7/PPO_7/events.out.tfevents.1760849217.Climiradi.12164.0":
        ("run", "stable-baselines3", {"train/loss": "train/loss", "opt/lr": "train/learning_rate"}),
    "eadewusic__Traffic-Optimization-Capstone-Project/logs/hardware_ppo/run_8/seed_42/PPO_8_seed42/PPO_2/events.out.tfevents.1761608393.Climiradi.20760.0":
        ("run", "stable-baselines3", {"train/loss": "train/loss", "opt/lr": "train/learning_rate"}),
    "huzaifasharafat__TFODCourse/Tensorflow/workspace/mobile 320x320/events.out.tfevents.1642104850.DESKTOP-K7GINSN.18160.0.v2":  # noqa: E501
        ("run", "tf-object-detection", {"train/loss": "Loss/total_loss", "opt/lr": "learning_rate"}),
    "huzaifasharafat__TFODCourse/Tensorflow/workspace/mobile 320x320/events.out.tfevents.1642106928.DESKTOP-K7GINSN.11496.0.v2":  # noqa: E501
        ("run", "tf-object-detection", {"val/loss": "eval/Loss/total_loss"}),
    "huzaifasharafat__TFODCourse/Tensorflow/workspace/models/my_ssd_mobnet/eval/events.out.tfevents.1642130296.DESKTOP-K7GINSN.16556.0.v2":
        ("run", "tf-object-detection", {"val/loss": "eval/Loss/total_loss"}),
    "huzaifasharafat__TFODCourse/Tensorflow/workspace/models/my_ssd_mobnet/train/events.out.tfevents.1642111611.DESKTOP-K7GINSN.14276.0.v2":
        ("empty", None, {}),
    "huzaifasharafat__TFODCourse/Tensorflow/workspace/models/my_ssd_mobnet/train/events.out.tfevents.1642112235.DESKTOP-K7GINSN.12860.0.v2":
        ("run", "tf-object-detection", {"train/loss": "Loss/total_loss", "opt/lr": "learning_rate"}),
    "itsrajsharma__Image-Classifier-using-CNN/logs/train/events.out.tfevents.1725829153.LAPTOP-IREBOL58.3852.0.v2":
        ("run", "keras", {"train/loss": "epoch_loss", "train/acc": "epoch_accuracy", "opt/lr": "epoch_learning_rate"}),
    "itsrajsharma__Image-Classifier-using-CNN/logs/validation/events.out.tfevents.1725829157.LAPTOP-IREBOL58.3852.1.v2":
        ("run", "keras", {"val/loss": "validation/epoch_loss", "val/acc": "validation/epoch_accuracy"}),
    "janosh__tensorboard-reducer/tests/runs/duplicate_steps/run_1/events.out.tfevents.1622966509.janoshs-mbp.lan.86059.0":
        ("run", "torch", {}),
    "norlab-ulaval__droneSegmentation/output_SP/events.out.tfevents.1734543446.Kamyar.3666401.0":
        ("headless", "detectron2", {"train/loss": "total_loss", "opt/lr": "lr"}),
    "w121211__DSANet/lightning_logs/version_2/tf/events.out.tfevents.1578464739.W8437429.32452.1":
        ("run", "pytorch-lightning", {}),
}
MESSAGE_START = {"truncated": "truncated", "empty": "empty", "profiler": "profiler marker",
                 "not-event": "not an event file: a Git LFS pointer", "headless": "no file_version header"}


def _manifest() -> dict[str, int]:
    """file -> scalar points, from MANIFEST.md's table."""
    rows = {}
    for line in (REALLOGS / "MANIFEST.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and " @ " in cells[0] and cells[5].isdigit():
            repo = cells[0].split(" @ ")[0].replace("/", "__")
            rows[f"{repo}/{cells[1].strip('`')}"] = int(cells[5])
    return rows


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()


def test_table_covers_the_whole_manifest():
    assert set(_manifest()) == set(EXPECTED)
    on_disk = {p.relative_to(REALLOGS).as_posix() for p in REALLOGS.rglob("*tfevents*")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED), ids=lambda r: r.split("/")[0][:24] + "/" + r.rsplit("/", 1)[-1][-24:])
def test_each_real_file_behaves_as_the_manifest_says(rel):
    status, writer, canonicals = EXPECTED[rel]
    result = load(REALLOGS / rel)
    messages = [e.message for e in result.errors]
    if status in ("not-event", "empty", "profiler"):
        assert result.runs == [] and len(messages) == 1 and messages[0].startswith(MESSAGE_START[status])
        return
    (run,) = result.runs
    if status == "run":
        assert messages == []
    else:
        assert len(messages) == 1 and messages[0].startswith(MESSAGE_START[status])
        assert run.problems == tuple(result.errors)
    assert run.writer == writer
    assert {c: o for o, c in run.tag_map.items() if c in ("train/loss", "val/loss", "train/acc", "val/acc",
                                                          "opt/lr", "grad_norm/total")} == canonicals
    assert int(run.scalars.shape[0]) == _manifest()[rel]  # every scalar point, none sampled away
    for canonical in canonicals:  # (the TF OD eval loss is NaN in the file itself)
        assert len(run.scalar(canonical)) > 0


def test_whole_corpus_merges_split_folders():
    result = load(REALLOGS)
    runs = {r.run: r for r in result.runs}
    assert len(runs) == 21
    expect = {
        # two Keras fit() calls into one logs/ (epochs 0-19, then 0-29): two runs, each with its val side
        "bishalrocks1234__Bird-Classifier/logs#1": {"train/loss", "val/loss", "train/acc", "val/acc"},
        "bishalrocks1234__Bird-Classifier/logs#2": {"train/loss", "val/loss", "train/acc", "val/acc"},
        "itsrajsharma__Image-Classifier-using-CNN/logs": {"train/loss", "val/loss", "train/acc", "val/acc", "opt/lr"},
        "CostaFernando__sentiment-with-deep-neural-networks-and-trax/model":
            {"train/loss", "val/loss", "val/acc", "opt/lr", "grad_norm/total", "weight_norm/total"},
        "criteo-research__tf-tile/tmp/alaki": {"train/loss", "val/loss"},
        "huzaifasharafat__TFODCourse/Tensorflow/workspace/models/my_ssd_mobnet": {"train/loss", "val/loss", "opt/lr"},
        "huzaifasharafat__TFODCourse/Tensorflow/workspace/mobile 320x320": {"train/loss", "val/loss", "opt/lr"},
    }
    for name, canonicals in expect.items():
        assert runs[name].canonical_tags() == canonicals, name
    assert [len(runs[f"bishalrocks1234__Bird-Classifier/logs#{n}"].files) for n in (1, 2)] == [3, 2]
    # the eval file written into the train folder no longer collides with train loss at step 2000
    mobile = runs["huzaifasharafat__TFODCourse/Tensorflow/workspace/mobile 320x320"]
    assert mobile.scalar("train/loss").index.max() == 2000 and len(mobile.scalar("val/loss")) == 1
    kinds = sorted(re.split(r"[:(]", e.message)[0].strip() for e in result.errors)
    assert kinds == ["empty", "no file_version header", "not an event file", "profiler marker",
                     "truncated", "truncated"]
    total = sum(len(r.scalars) for r in result.runs)
    assert total == sum(_manifest().values())


def test_truncated_real_files_are_reported_even_freshly_copied(tmp_path):
    # A clean clone or a copied logdir gives old files a fresh mtime; their truncation still shows.
    for rel in [r for r, (status, _, _) in EXPECTED.items() if status == "truncated"]:
        copy = tmp_path / rel.replace("/", "__")
        copy.mkdir()
        shutil.copyfile(REALLOGS / rel, copy / Path(rel).name)  # copyfile: mtime is now
        result = load(copy)
        assert len(result.runs) == 1
        assert [e.message.split(":")[0] for e in result.errors] == ["truncated"], rel
