"""The canonical tags, and the alias table of the names other writers log them under (data).

`ALIASES` is one ordered list of (regex, canonical template); earlier rows rank higher
(`tags.map_tags` applies it: each canonical is taken at most once, by the best-ranked alias).

Validation sides: the reader prefixes the tags of a run's validation folder with the folder's
name (Keras `validation/epoch_loss`, tf.estimator `eval/loss`, Trax `eval/metrics/...`), so
the table sees where a value came from.

Choices (deliberate, see the tests):
- Loss *components* are not a total loss: YOLOv5 `train/box_loss|obj_loss|cls_loss`, TF OD API
  `Loss/classification_loss`, ML-Agents `Losses/Policy Loss`, SB3 `train/value_loss` stay
  unmapped. A total is mapped where the writer logs one (TF OD `Loss/total_loss`, Detectron2
  `total_loss`, SB3 `train/loss` = PPO's combined loss); where it logs none, `tags.derived_losses`
  offers the components' sum.
- A bare `loss`/`accuracy` (Lightning custom names, tf.estimator's train dir) is the training
  side; `test` splits count as validation only when no `val`/`eval` split is logged.
- YOLOv5's `x/lr0` (first param group) is the learning rate; `x/lr1`, `x/lr2` stay unmapped.
- Per-layer data under everyday names (`gradients/<param>`, `<param>.grad`, `activations/<layer>`
  histograms; `grad_norm/<param>`, `gradients/<param>` scalars, ...) lands in our families, the
  layer named as our instruments name it (`tags.layer_key`). Whether a tag is a histogram
  decides its family: `gradients/fc1.weight` is `grad/fc1` as a histogram and `grad_norm/fc1`
  as a scalar.
"""
from __future__ import annotations

import re

CANONICAL = (
    "train/loss", "val/loss", "train/acc", "val/acc", "val/metric", "opt/lr", "grad_norm/total",
)
FAMILIES = ("grad_norm", "weight_norm", "update_ratio", "dead_frac")  # <family>/<layer> scalars
HISTOGRAM_FAMILIES = ("act", "grad")  # <family>/<layer> histograms

VAL_SPLITS = ("validation", "valid", "val", "eval", "evaluation")  # folder names / tag sides
TEST_SPLITS = ("test",)
TRAIN_SPLITS = ("train", "training")

_V = r"(?:validation|valid|val|eval|evaluation)"
_ACC = r"(?:acc|accuracy)"
_LR = r"(?:lr|learning_rate|learning-rate|learningrate)"
# Validation metrics other than accuracy, by their usual names (directions: METRIC_DIRECTIONS)
_VAL_METRIC = (r"(?:m?ap(?:50|75|_?0?\.5|50_95)?|map@?[\d.:]*|m?iou|f1(?:_score)?|bleu\w*|"
               r"rouge\w*|psnr|ssim|auc|roc_auc|dice|top_?1|top_?5|perplexity|ppl|mae|rmse|"
               r"error|err|wer|cer|fid)")

# (pattern, canonical). Patterns are full-match, case-insensitive.
ALIASES: list[tuple[str, str]] = [
    # our own names first: they map to themselves
    *[(re.escape(c), c) for c in CANONICAL],
    *[(rf"{f}/(?P<layer>.+)", rf"{f}/\g<layer>") for f in FAMILIES + HISTOGRAM_FAMILIES],
    # ---- train/loss
    (r"train_loss(?:_step)?", "train/loss"),  # Lightning
    (r"train_loss_epoch", "train/loss"),
    (r"epoch_loss", "train/loss"),  # Keras (train/ folder)
    (r"(?:loss|losses)/train(?:ing)?", "train/loss"),  # tensorboardX habits
    (r"training/loss", "train/loss"),  # Trax
    (r"train/total_loss|total_loss", "train/loss"),  # Detectron2
    (r"loss/total_loss", "train/loss"),  # TF Object Detection API
    (r"training_loss|trainloss|loss_train", "train/loss"),
    (r"loss|losses/loss", "train/loss"),  # Lightning custom, tf.estimator train dir
    (r"batch_loss", "train/loss"),  # Keras update_freq='batch'
    (r"metrics/crossentropyloss", "train/loss"),  # Trax train-side metric
    (r"train/epoch_loss", "train/loss"),
    # ---- val/loss
    (r"val_loss(?:_epoch)?", "val/loss"),  # Lightning
    (rf"{_V}/epoch_loss", "val/loss"),  # Keras validation/ folder
    (rf"{_V}/loss", "val/loss"),  # HF Trainer eval/loss, tf.estimator eval/ folder
    (rf"(?:loss|losses)/{_V}", "val/loss"),
    (rf"{_V}_loss|loss_{_V}|validation_loss", "val/loss"),
    (rf"{_V}/loss/total_loss", "val/loss"),  # TF OD API eval
    (rf"{_V}/total_loss", "val/loss"),
    (rf"{_V}/metrics/crossentropyloss", "val/loss"),  # Trax eval/ folder
    (rf"{_V}/evaluation_loss_vs_iterations", "val/loss"),  # Keras, per-iteration
    (r"test_loss|test/loss|(?:loss|losses)/test|test/epoch_loss", "val/loss"),
    # ---- train/acc
    (rf"train_{_ACC}(?:_step)?", "train/acc"),
    (rf"train_{_ACC}_epoch", "train/acc"),
    (rf"epoch_(?:\w+_)?{_ACC}", "train/acc"),  # Keras: epoch_accuracy, epoch_sparse_categorical_accuracy
    (rf"train/{_ACC}|{_ACC}/train(?:ing)?|training/{_ACC}", "train/acc"),
    (rf"metrics/{_ACC}", "train/acc"),  # Trax train-side metric
    (rf"{_ACC}/train_{_ACC}", "train/acc"),  # acc/train_acc: Lightning self.log("acc/train_acc")
    (rf"{_ACC}|batch_{_ACC}", "train/acc"),
    # ---- val/acc
    (rf"val_{_ACC}(?:_epoch)?", "val/acc"),
    (rf"{_V}/epoch_(?:\w+_)?{_ACC}", "val/acc"),
    (rf"{_V}/{_ACC}|{_ACC}/{_V}|{_V}_{_ACC}", "val/acc"),
    (rf"{_V}/metrics/{_ACC}", "val/acc"),
    (rf"{_V}/evaluation_{_ACC}_vs_iterations", "val/acc"),
    (rf"test_{_ACC}|test/{_ACC}|{_ACC}/test|test/epoch_{_ACC}", "val/acc"),
    (rf"{_ACC}/{_V}_{_ACC}", "val/acc"),  # acc/val_acc: Lightning self.log("acc/val_acc")
    # ---- val/metric: the run's main validation metric other than accuracy, best first
    # (what a detector or segmenter is judged by); its direction comes from METRIC_DIRECTIONS
    *[(pattern, "val/metric") for pattern in (
        r"metrics/mAP_0\.5", r"metrics/mAP50\(\w\)", r"metrics/mAP_0\.5:0\.95",  # YOLOv5, v8
        r"metrics/mAP50-95\(\w\)", r"bbox/AP50|bbox/AP|segm/AP50|segm/AP",  # Detectron2
        r"sem_seg/mIoU", rf"{_V}/COCOAP50|{_V}/COCOAP50_95",  # Detectron2, YOLOX
        r"(?:coco/)?(?:bbox|segm)_mAP(?:_50)?", r"(?:\w+/)?mIoU",  # MMDetection, MMSegmentation
        rf"{_V}/epoch_{_VAL_METRIC}",  # Keras validation/ folder: epoch_auc, epoch_f1_score
        rf"{_V}[/_]{_VAL_METRIC}|{_VAL_METRIC}/{_V}|{_VAL_METRIC}_{_V}",
        rf"test[/_]{_VAL_METRIC}|{_VAL_METRIC}/test",
    )],
    # ---- opt/lr
    (r"train/learning_rate|train/lr", "opt/lr"),  # HF Trainer, SB3
    (r"lr-\w+", "opt/lr"),  # Lightning LearningRateMonitor: lr-Adam
    (r"lr-\w+/pg1", "opt/lr"),
    (rf"epoch_{_LR}", "opt/lr"),  # Keras
    (rf"{_LR}", "opt/lr"),
    (rf"training/{_LR}|optimizer/{_LR}|opt/{_LR}|policy/learning rate", "opt/lr"),  # Trax, ML-Agents
    (r"x/lr0", "opt/lr"),  # YOLOv5, param group 0
    (rf"{_LR}/\w+|{_LR}_\w+", "opt/lr"),
    # ---- grad_norm/total
    (r"train/grad_norm|grad_norm|gradient_norm|grad_norm_total|grad_norm_step", "grad_norm/total"),  # HF, Lightning
    (r"grad_2\.0_norm_total|grad_2\.0_norm/total", "grad_norm/total"),  # Lightning
    (r"training/gradients_l2", "grad_norm/total"),  # Trax
    (r"grad_2\.0_norm/(?P<layer>.+)", r"grad_norm/\g<layer>"),
    (r"training/weights_l2", "weight_norm/total"),  # Trax
    (r"grad_2\.0_norm_(?P<layer>.+)", r"grad_norm/\g<layer>"),  # Lightning 1.x track_grad_norm
    # ---- per-layer data under everyday names (tutorials, hand-written loops). The `layer` group
    # is a layer or parameter name that `layer_key` turns into our layer key (`model.fc1.weight`,
    # `fc1/weight` -> `fc1`; a bias is never taken). A row whose canonical is a histogram family
    # takes histograms only, the other rows scalars only, when the reader says which is which
    # (`map_tags(histogram_tags=...)`). Weight histograms (`weights/<name>`, `params/<name>`, a
    # bare `fc1.weight`) stay unmapped: no rule reads weight histograms.
    # gradient histograms
    (r"(?:gradients|grads|gradient)/(?P<layer>.+)", r"grad/\g<layer>"),
    (r"(?P<layer>.+?)(?:[./_]grad|/gradients?)", r"grad/\g<layer>"),  # fc1.weight.grad, dense/kernel_0_grad
    # activation histograms
    (r"(?:activations|activation|acts)/(?P<layer>.+)", r"act/\g<layer>"),
    (r"(?P<layer>.+?)(?:/activations?|_act)", r"act/\g<layer>"),
    # per-layer gradient norms (scalars)
    (r"(?:grad_norms|gradient_norms?|gradients|grads)/(?P<layer>.+)", r"grad_norm/\g<layer>"),
    (r"grad_norm_(?P<layer>.+)", r"grad_norm/\g<layer>"),
    (r"(?P<layer>.+?)[./](?:grad_norm|gradient_norm)", r"grad_norm/\g<layer>"),
    # weight norms, update ratios |dw|/|w|. Not `updates/<name>`: an update's size or its ratio?
    (r"(?:weights_norm|weight_norms|param_norm|params_norm|parameter_norm)/(?P<layer>.+)",
     r"weight_norm/\g<layer>"),
    (r"(?:update_to_weight|update_to_data|update_ratios)/(?P<layer>.+)", r"update_ratio/\g<layer>"),
    # dead-unit fractions. Not `dead_units/` (a count, by its name) nor `sparsity/` (the share of
    # zero VALUES: ~50 % in a healthy ReLU layer, where a dead unit is zero on every input).
    (r"(?:dead_fraction|dead_ratio|dead_relu|dead_relu_frac(?:tion)?|dead_relu_ratio|frac_dead)"
     r"/(?P<layer>.+)", r"dead_frac/\g<layer>"),
]


def is_canonical(name: str) -> bool:
    """A fixed canonical tag, or a member of a canonical family (e.g. grad_norm/fc1)."""
    family, _, layer = name.partition("/")
    return name in CANONICAL or (bool(layer) and family in FAMILIES + HISTOGRAM_FAMILIES)


# Whole files that are evaluation output although they sit in the training folder (the TF
# Object Detection API writes its eval files next to the train files): tag prefixes that
# mark them. The reader prefixes such a file's tags with "eval/".
EVAL_FILE_MARKERS = ("DetectionBoxes_Precision/", "DetectionBoxes_Recall/")
