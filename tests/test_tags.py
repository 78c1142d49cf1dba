"""The alias table: each writer's names land on the canonical tags, once each, nothing dropped."""
from __future__ import annotations

import re

import pytest

from diagnostics.tag_hints import guess_writer
from diagnostics.tag_names import ALIASES, CANONICAL, is_canonical
from diagnostics.tags import apply_overrides, derived_losses, map_tags

# (writer, tags it writes, expected canonical for some of them; others must stay None)
CASES = [
    ("ours", ["train/loss", "val/loss", "train/acc", "val/acc", "opt/lr", "grad_norm/total",
              "grad_norm/fc1", "weight_norm/fc1", "update_ratio/fc1", "dead_frac/relu1", "act/fc1", "grad/fc1"],
     {t: t for t in ["train/loss", "val/loss", "train/acc", "val/acc", "opt/lr", "grad_norm/total",
                     "grad_norm/fc1", "weight_norm/fc1", "update_ratio/fc1", "dead_frac/relu1", "act/fc1",
                     "grad/fc1"]}),
    ("keras merged", ["epoch_loss", "epoch_accuracy", "epoch_learning_rate", "validation/epoch_loss",
                      "validation/epoch_accuracy", "validation/evaluation_loss_vs_iterations"],
     {"epoch_loss": "train/loss", "epoch_accuracy": "train/acc", "epoch_learning_rate": "opt/lr",
      "validation/epoch_loss": "val/loss", "validation/epoch_accuracy": "val/acc",
      "validation/evaluation_loss_vs_iterations": None}),
    ("keras named metric", ["epoch_loss", "epoch_sparse_categorical_accuracy",
                            "validation/epoch_sparse_categorical_accuracy"],
     {"epoch_sparse_categorical_accuracy": "train/acc",
      "validation/epoch_sparse_categorical_accuracy": "val/acc"}),
    ("huggingface", ["train/loss", "eval/loss", "train/learning_rate", "train/grad_norm", "eval/accuracy",
                     "train/epoch", "eval/runtime"],
     {"train/loss": "train/loss", "eval/loss": "val/loss", "train/learning_rate": "opt/lr",
      "train/grad_norm": "grad_norm/total", "eval/accuracy": "val/acc", "train/epoch": None}),
    ("lightning", ["train_loss", "val_loss", "val_acc", "lr-Adam", "epoch", "hp_metric"],
     {"train_loss": "train/loss", "val_loss": "val/loss", "val_acc": "val/acc", "lr-Adam": "opt/lr",
      "epoch": None, "hp_metric": None}),
    ("lightning step/epoch", ["train_loss_step", "train_loss_epoch", "val_loss_epoch"],
     {"train_loss_step": "train/loss", "train_loss_epoch": None, "val_loss_epoch": "val/loss"}),
    ("lightning custom, no validation", ["loss", "quant_error", "epoch"], {"loss": "train/loss"}),
    ("tensorboardX free-form", ["Loss/train", "loss/val", "Accuracy/train", "Accuracy/test", "lr"],
     {"Loss/train": "train/loss", "loss/val": "val/loss", "Accuracy/train": "train/acc",
      "Accuracy/test": "val/acc", "lr": "opt/lr"}),
    ("free-form", ["training/loss", "learning_rate", "Loss/test"],
     {"training/loss": "train/loss", "learning_rate": "opt/lr", "Loss/test": "val/loss"}),
    ("val beats test", ["loss/val", "loss/test"], {"loss/val": "val/loss", "loss/test": None}),
    ("trax merged", ["training/loss", "metrics/CrossEntropyLoss", "training/learning_rate",
                     "training/gradients_l2", "training/weights_l2", "eval/metrics/CrossEntropyLoss",
                     "eval/metrics/Accuracy"],
     {"training/loss": "train/loss", "metrics/CrossEntropyLoss": None, "training/learning_rate": "opt/lr",
      "training/gradients_l2": "grad_norm/total", "training/weights_l2": "weight_norm/total",
      "eval/metrics/CrossEntropyLoss": "val/loss", "eval/metrics/Accuracy": "val/acc"}),
    ("tf.estimator merged", ["loss", "global_step/sec", "eval/loss"],
     {"loss": "train/loss", "eval/loss": "val/loss", "global_step/sec": None}),
    ("yolov5: components are not a total", ["train/box_loss", "train/obj_loss", "train/cls_loss",
                                             "val/box_loss", "metrics/mAP_0.5", "x/lr0", "x/lr1", "x/lr2"],
     {"train/box_loss": None, "val/box_loss": None, "x/lr0": "opt/lr", "x/lr1": None}),
    ("sb3", ["train/loss", "train/value_loss", "train/policy_gradient_loss", "train/learning_rate",
             "rollout/ep_rew_mean"],
     {"train/loss": "train/loss", "train/value_loss": None, "train/learning_rate": "opt/lr"}),
    ("detectron2", ["total_loss", "loss_ce", "lr", "data_time"], {"total_loss": "train/loss", "lr": "opt/lr",
                                                                   "loss_ce": None}),
    ("tf od api", ["Loss/total_loss", "Loss/classification_loss", "learning_rate", "eval/Loss/total_loss"],
     {"Loss/total_loss": "train/loss", "Loss/classification_loss": None, "learning_rate": "opt/lr",
      "eval/Loss/total_loss": "val/loss"}),
    ("ml-agents", ["Losses/Policy Loss", "Policy/Learning Rate"], {"Losses/Policy Loss": None,
                                                                   "Policy/Learning Rate": "opt/lr"}),
]


@pytest.mark.parametrize("writer,names,expected", CASES, ids=[c[0] for c in CASES])
def test_writers_names_map_to_canonical(writer, names, expected):
    mapping = map_tags(names)
    assert set(mapping) == set(names)  # never dropped
    for tag, canonical in expected.items():
        assert mapping[tag] == canonical, (writer, tag)
    taken = [c for c in mapping.values() if c]
    assert len(taken) == len(set(taken))  # each canonical at most once


def test_best_ranked_alias_wins_regardless_of_order():
    assert map_tags(["train_loss", "train/loss"])["train/loss"] == "train/loss"
    assert map_tags(["validation/evaluation_loss_vs_iterations", "validation/epoch_loss"]) == {
        "validation/epoch_loss": "val/loss", "validation/evaluation_loss_vs_iterations": None}


def test_overrides_move_a_canonical_and_can_unmap():
    mapping = map_tags(["loss", "my_val"], overrides={"my_val": "val/loss"})
    assert mapping == {"loss": "train/loss", "my_val": "val/loss"}
    moved = apply_overrides(mapping, {"my_val": "train/loss", "absent": "opt/lr"})
    assert moved == {"loss": None, "my_val": "train/loss"}
    assert apply_overrides(moved, {"my_val": None})["my_val"] is None


def test_alias_table_is_data_and_valid():
    assert all(isinstance(p, str) and isinstance(c, str) for p, c in ALIASES)
    for pattern, _ in ALIASES:
        re.compile(pattern)
    assert set(CANONICAL) <= {c for _, c in ALIASES}
    canonicals = {c for case in CASES for c in case[2].values() if c}
    assert all(is_canonical(c) for c in canonicals - {"weight_norm/total"}) and is_canonical("weight_norm/total")
    assert not is_canonical("grad_norm") and not is_canonical("loss")


@pytest.mark.parametrize("tags,paths,sources,plugins,writer", [
    (["train_loss", "hp_metric"], ["x/lightning_logs/version_0/events.out.tfevents.1.h.1.0"], [], [],
     "pytorch-lightning"),
    (["epoch_loss"], ["logs/train/events.out.tfevents.1.h.1.0.v2"], [], ["graph_keras_model"], "keras"),
    (["train/loss", "train/epoch", "eval/loss"], [], [], [], "huggingface"),
    (["loss"], ["a/events.out.tfevents.1.host.12.0"], ["tensorboard.summary.writer.event_file_writer"], [],
     "torch"),
    (["loss"], ["a/events.out.tfevents.1.host"], [], ["graph_def"], "tensorflow"),
    (["something"], ["a/b"], [], [], None),
])
def test_guess_writer(tags, paths, sources, plugins, writer):
    assert guess_writer(tags, paths, sources, plugins) == writer


def test_default_losses_tells_a_users_correction_from_the_alias_table():
    from diagnostics.tags import default_losses

    mapping = map_tags(["train/loss", "train/value_loss", "rollout/ep_rew_mean"])
    assert mapping["train/loss"] == "train/loss" and default_losses(mapping)
    assert not default_losses(apply_overrides(mapping, {"train/value_loss": "train/loss"}))
    assert not default_losses(apply_overrides(mapping, {"train/loss": None}))
    assert default_losses(apply_overrides(mapping, {"rollout/ep_rew_mean": None}))  # not a loss


@pytest.mark.parametrize("names, expected", [
    # YOLOv5: components on both sides, no total anywhere
    (["train/box_loss", "train/cls_loss", "train/obj_loss", "val/box_loss", "val/cls_loss", "val/obj_loss",
      "x/lr0", "metrics/mAP_0.5"],
     {"train/box_loss+cls_loss+obj_loss": ("train/loss", "train/", ("box_loss", "cls_loss", "obj_loss")),
      "val/box_loss+cls_loss+obj_loss": ("val/loss", "val/", ("box_loss", "cls_loss", "obj_loss"))}),
    # Mask2Former without Detectron2's total_loss: top-level components are the training side
    (["loss_ce", "loss_dice", "loss_mask", "lr"],
     {"loss_ce+loss_dice+loss_mask": ("train/loss", "", ("loss_ce", "loss_dice", "loss_mask"))}),
    # a total is logged: nothing is derived (Detectron2, TF OD API, SB3)
    (["total_loss", "loss_ce", "loss_dice"], {}),
    (["Loss/classification_loss", "Loss/localization_loss", "Loss/total_loss"], {}),
    (["train/loss", "train/value_loss", "train/entropy_loss"], {}),
    # one component is not a sum; ML-Agents' "Losses/Policy Loss" is not a component name
    (["train/box_loss", "train/lr"], {}),
    (["Losses/Policy Loss", "Losses/Value Loss"], {}),
])
def test_loss_totals_are_derived_only_where_no_total_was_logged(names, expected):
    assert derived_losses(names, map_tags(names)) == expected
