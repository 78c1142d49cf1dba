"""Canonical tag names, and the alias table that maps other writers' names onto them.

`ALIASES` is data: one ordered list of (regex, canonical template). Earlier rows rank higher.
Each canonical tag is taken at most once, by the best-ranked alias that matches a tag of the
run; a tag nothing matches keeps its own name with canonical None (never dropped).

Validation sides: the reader prefixes the tags of a run's validation folder with the folder's
name (Keras `validation/epoch_loss`, tf.estimator `eval/loss`, Trax `eval/metrics/...`), so
the table below sees where a value came from.

Choices (deliberate, see the tests):
- Loss *components* are not a total loss: YOLOv5 `train/box_loss|obj_loss|cls_loss`, TF OD API
  `Loss/classification_loss`, ML-Agents `Losses/Policy Loss`, SB3 `train/value_loss` stay
  unmapped. A total is mapped where the writer logs one (TF OD `Loss/total_loss`, Detectron2
  `total_loss`, SB3 `train/loss` = PPO's combined loss).
- A bare `loss`/`accuracy` (Lightning custom names, tf.estimator's train dir) is the training
  side; `test` splits count as validation only when no `val`/`eval` split is logged.
  Where a writer logs components but no total at all (YOLOv5; Mask2Former under Detectron2:
  `loss_ce`, `loss_dice`, `loss_mask`), `derived_losses` offers their sum as a derived tag,
  e.g. `train/box_loss+cls_loss+obj_loss` -> train/loss: those components are already
  weighted by the writer, so their sum is the objective it minimises.
- YOLOv5's `x/lr0` (first param group) is the learning rate; `x/lr1`, `x/lr2` stay unmapped.
- Reinforcement-learning writers (`RL_WRITERS`): SB3's `train/loss` keeps its canonical name
  (it IS the tag's name, and the mapping is the reader's record of what was logged), but a
  PPO loss is a policy/value/entropy objective, not a supervised loss: it can go negative and
  rises as returns grow. The engine therefore does not judge loss-based rules on these writers'
  default mapping (not assessed, with the reason); a loss the user maps by hand is judged.
- Per-layer data under everyday names (`gradients/<param>`, `<param>.grad`, `activations/<layer>`
  histograms; `grad_norm/<param>`, `gradients/<param>` scalars, ...) lands in our families with
  the layer named as our instruments name it (`layer_key`: `model.fc1.weight` -> `fc1`). Biases
  are left unmapped, so layers are compared by their weights. Whether a tag is a histogram
  decides its family (`map_tags(histogram_tags=...)`): `gradients/fc1.weight` is `grad/fc1` as
  a histogram and `grad_norm/fc1` as a scalar.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

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


_COMPILED = [(re.compile(p, re.IGNORECASE), c) for p, c in ALIASES]

# Whole files that are evaluation output although they sit in the training folder (the TF
# Object Detection API writes its eval files next to the train files): tag prefixes that
# mark them. The reader prefixes such a file's tags with "eval/".
EVAL_FILE_MARKERS = ("DetectionBoxes_Precision/", "DetectionBoxes_Recall/")


def map_tags(
    tags: Iterable[str], overrides: Mapping[str, str | None] | None = None, *,
    histogram_tags: Iterable[str] | None = None,
) -> dict[str, str | None]:
    """original -> canonical (or None). Each canonical is taken once, by the best alias.

    `histogram_tags`: which of `tags` are histograms. Given, a histogram is taken only by a
    histogram family (`grad/`, `act/`) and any other tag only by the other rows, so
    `gradients/fc1.weight` is a gradient histogram in one run and a gradient norm in another.
    Omitted (kinds unknown), any row may take any tag."""
    names = sorted(set(tags))
    histograms = None if histogram_tags is None else set(histogram_tags)
    mapping: dict[str, str | None] = dict.fromkeys(names)
    taken: set[str] = set()
    for pattern, template in _COMPILED:
        histogram_row = template.partition("/")[0] in HISTOGRAM_FAMILIES
        for tag in names:
            if mapping[tag] is not None or (histograms is not None and (tag in histograms) != histogram_row):
                continue
            match = pattern.fullmatch(tag)
            if match is None:
                continue
            canonical = _expand(match, template)
            if canonical is not None and canonical not in taken:
                mapping[tag] = canonical
                taken.add(canonical)
    if loss_kind(names) == "adversarial":  # a GAN's fit measure, not its G+D balance
        mapping.update(reconstruction_losses(names, mapping))
    return apply_overrides(mapping, overrides) if overrides else mapping


def _expand(match: re.Match, template: str) -> str | None:
    """The canonical tag a matching row gives: a family member's layer made a layer key (None
    for a bias), any other template expanded as it is."""
    if "layer" not in match.groupdict():
        return match.expand(template)
    layer = layer_key(match["layer"])
    return None if layer is None else template.replace(r"\g<layer>", layer)


# Leading parts that wrap a model without naming a layer: DataParallel/DDP, torch.compile,
# a LightningModule's or Hugging Face model's `model` attribute.
_WRAPPERS = ("module", "_orig_mod", "model")
# Names that stand for the whole model, not a layer: `train/grad_norm`, `model/grad_norm`,
# Lightning's `grad_norm_step` / `grad_norm_epoch` (a total logged with on_step/on_epoch).
_WHOLE_MODEL = {*TRAIN_SPLITS, *VAL_SPLITS, *TEST_SPLITS, "total", "global", "all", "overall",
                "model", "module", "net", "network", "optim", "optimizer", "step", "epoch"}
_WEIGHT = re.compile(r"(?:weight|kernel)(?:[:_]\d+)?", re.IGNORECASE)  # torch; TF/Keras kernel_0
_BIAS = re.compile(r"(?:\w+_)?bias(?:_\w+)?(?:[:_]\d+)?", re.IGNORECASE)  # bias, in_proj_bias, bias_ih_l0


def layer_key(name: str) -> str | None:
    """A writer's layer or parameter name -> the layer key our instruments write (the module's
    qualified name, `trainers.hooks`): `fc1.weight`, `fc1/weight`, `model.fc1.weight`,
    `module.fc1.weight` -> `fc1`; `features.0.weight` -> `features.0`. A parameter that is not
    a layer's `weight` keeps its name (`lstm.weight_ih_l0`, `cls_token`). None for a bias: the
    rules compare layers (vanishing gradients: first vs last), and a bias's gradient is not on
    the weights' scale, so a layer is judged by its weight or not at all. A whole-model name
    (`train`, `model`, `total`) -> "total"."""
    parts = [p for p in re.split(r"[./]", name) if p]
    while len(parts) > 1 and parts[0] in _WRAPPERS:
        parts.pop(0)
    if not parts or _BIAS.fullmatch(parts[-1]):
        return None
    if len(parts) > 1 and _WEIGHT.fullmatch(parts[-1]):
        parts.pop()
    key = ".".join(parts)
    return "total" if key.lower() in _WHOLE_MODEL else key


def apply_overrides(
    mapping: Mapping[str, str | None], overrides: Mapping[str, str | None] | None
) -> dict[str, str | None]:
    """The user's corrections (original -> canonical or None) applied on top of a mapping.

    Giving a canonical to one tag takes it away from whichever tag held it, so the
    correction wins. Overrides for tags the run lacks are ignored."""
    out = dict(mapping)
    for original, canonical in (overrides or {}).items():
        if original not in out:
            continue
        if canonical:
            for other, held in out.items():
                if held == canonical and other != original:
                    out[other] = None
        out[original] = canonical or None
    return out


LOSS_TAGS = ("train/loss", "val/loss")

# A loss component: the last part of a tag such as `train/box_loss` or `loss_dice`.
_COMPONENT = re.compile(r"[a-z0-9]+_loss|loss_[a-z0-9]+", re.IGNORECASE)
_NOT_COMPONENTS = {"total_loss", "epoch_loss", "batch_loss", "loss_total"}
DERIVED_JOIN = "+"  # a derived tag's name: the components' shared prefix, then their names


def derived_losses(
    scalar_tags: Iterable[str], mapping: Mapping[str, str | None]
) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Loss totals a writer did not log: {derived tag: (canonical, prefix, components)}.

    Components are unmapped scalar tags that share a prefix (`train/`, `val/`, or none) and
    look like `<name>_loss` / `loss_<name>`; at least two are needed. Their side is what the
    alias table makes of `<prefix>loss`, and only a loss canonical no tag holds is derived."""
    held = {c for c in mapping.values() if c}
    groups: dict[str, list[str]] = {}
    for tag in sorted(set(scalar_tags)):
        prefix, _, last = tag.rpartition("/")
        if mapping.get(tag) is None and _COMPONENT.fullmatch(last) and last.lower() not in _NOT_COMPONENTS:
            groups.setdefault(prefix + "/" if prefix else "", []).append(last)
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for prefix, parts in groups.items():
        canonical = map_tags([prefix + "loss"])[prefix + "loss"]
        if len(parts) >= 2 and canonical in LOSS_TAGS and canonical not in held:
            out[prefix + DERIVED_JOIN.join(parts)] = (canonical, prefix, tuple(parts))
            held.add(canonical)
    return out


# Writers whose "losses" are reinforcement-learning objectives (see the module docstring).
RL_WRITERS = ("stable-baselines3", "ml-agents")


def default_losses(mapping: Mapping[str, str | None]) -> bool:
    """True when every loss canonical is held by the tag the alias table gives it (no user
    correction moved one): the run's losses are whatever its writer logged under that name."""
    return _default_losses(tuple(mapping.items()))


@functools.lru_cache(maxsize=512)  # the alias table's regexes once per tag map, not once per run
def _default_losses(items: tuple[tuple[str, str | None], ...]) -> bool:
    mapping = dict(items)
    default = map_tags(mapping)
    return all([o for o, c in mapping.items() if c == loss] ==
               [o for o, c in default.items() if c == loss] for loss in LOSS_TAGS)


# ---- which program wrote a run ------------------------------------------------------------
# (kind, regex, writer), first hit wins. kind: "tag" (any tag of the run), "path" (a file path
# relative to the root), "source" (Event.source_metadata.writer), "plugin" (a plugin name).
WRITER_HINTS: list[tuple[str, str, str]] = [
    ("tag", r"train/epoch|args/text_summary|model_config/text_summary", "huggingface"),
    ("path", r"(^|/)lightning_logs/", "pytorch-lightning"),
    ("tag", r"lr-\w+(/pg\d+)?|hp_metric|\w+_(step|epoch)", "pytorch-lightning"),
    ("plugin", r"graph_keras_model", "keras"),
    ("tag", r"(validation/)?(epoch|batch)_\w+|(validation/)?evaluation_\w+_vs_iterations", "keras"),
    ("tag", r"rollout/ep_rew_mean|time/fps|train/approx_kl", "stable-baselines3"),
    ("tag", r"Environment/Cumulative Reward|Policy/Learning Rate", "ml-agents"),
    ("tag", r"metrics/mAP_0\.5|x/lr0", "yolov5"),
    ("tag", r"(eval/)?(DetectionBoxes_\w+/.*|Loss/total_loss)", "tf-object-detection"),
    ("tag", r"data_time|eta_seconds", "detectron2"),
    ("tag", r"training/steps per second|training/gradients_l2", "trax"),
    ("tag", r"global_step/sec", "tf-estimator"),
    ("source", r"tensorflow\.core\.util\.events_writer", "tensorflow"),
    ("path", r"\.v2$", "tensorflow"),
    ("path", r"tfevents\.\d+\.[^/]+\.\d+\.\d+$", "torch"),  # torch/tensorboard writer: host.pid.uid
    ("source", r"tensorboard\.summary\.writer\.event_file_writer", "torch"),
    ("plugin", r"graph_def|meta_graph_def|session_log", "tensorflow"),  # TF1 FileWriter
]  # a bare "tfevents.<time>.<host>" name is TF1, tensorboardX, jaxboard...: no guess
_WRITER_HINTS = [(k, re.compile(p), w) for k, p, w in WRITER_HINTS]


def guess_writer(
    tags: Iterable[str], paths: Iterable[str], sources: Iterable[str], plugins: Iterable[str]
) -> str | None:
    """Best guess of the program that wrote a run, or None."""
    seen = {"tag": list(tags), "path": list(paths), "source": list(sources), "plugin": list(plugins)}
    for kind, pattern, writer in _WRITER_HINTS:
        match = pattern.search if kind == "path" else pattern.fullmatch
        if any(match(item) for item in seen[kind]):
            return writer
    return None


# ---- validation metrics: which way is better -----------------------------------------------
# (regex searched in the metric's own name, +1 higher is better / -1 lower is better); first hit
# wins. Losses, errors, perplexity and distances fall; scores, overlaps and accuracies rise.
METRIC_DIRECTIONS: list[tuple[str, int]] = [
    (r"loss|error|err\b|_err|perplexity|ppl|mae|mse|rmse|wer|cer|fid|distance|nll", -1),
    (r"acc|m?ap\d*|ap[_-]|\bap\b|iou|f1|bleu|rouge|psnr|ssim|auc|dice|top_?\d|precision|recall|"
     r"reward|return|score", +1),
]
_METRIC_DIRECTIONS = [(re.compile(p, re.IGNORECASE), d) for p, d in METRIC_DIRECTIONS]


def metric_direction(tag: str) -> int | None:
    """+1 when a higher value of the metric `tag` is better, -1 when lower is, None unknown."""
    name = tag.rpartition("/")[2] or tag
    for pattern, direction in _METRIC_DIRECTIONS:
        if pattern.search(name):
            return direction
    return None


# ---- losses that do not measure fit -----------------------------------------------------------
# A GAN's discriminator and generator losses trade off against each other; an RL loss is a
# policy/value objective; a contrastive loss is measured against the batch's own negatives.
# None of them falling (or not) says whether the model fits its data, so underfitting and
# overfitting are not judged on them. (kind, regex over any tag of the run), first hit wins.
LOSS_KINDS: list[tuple[str, str]] = [
    ("adversarial", r"(?:^|[/_ ])(?:d|disc|discriminator|critic)[_ ]?loss$|"
                    r"(?:^|/)loss[_/ ]?(?:d|disc|discriminator|critic)(?:_\w+)?$|"
                    r"(?:^|/)(?:discriminator|disc)/loss$"),
    ("reinforcement", r"reward|(?:^|[/_ ])return\b|ep_rew|episode|policy[_ ]loss|value[_ ]loss|"
                      r"td[_ ]loss|q[_ ]loss|actor[_ ]loss"),
    ("contrastive", r"contrastive|infonce|info_nce|nt_?xent|simclr|moco|byol|triplet"),
]
_LOSS_KINDS = [(k, re.compile(p, re.IGNORECASE)) for k, p in LOSS_KINDS]
# A fit measure inside an adversarial objective: the reconstruction term (pix2pix's L1).
_RECONSTRUCTION = re.compile(r"l1|l2|recon|reconstruction|pixel|mse|mae", re.IGNORECASE)


def loss_kind(tag_names: Iterable[str], writer: str | None = None) -> str | None:
    """"adversarial", "reinforcement", "contrastive", or None for an ordinary supervised loss."""
    if writer in RL_WRITERS:
        return "reinforcement"
    return _loss_kind(tuple(tag_names))


@functools.lru_cache(maxsize=512)  # runs of one logdir mostly log the same tags: asked once per set
def _loss_kind(names: tuple[str, ...]) -> str | None:
    for kind, pattern in _LOSS_KINDS:
        if any(pattern.search(name) for name in names):
            return kind
    return None


# A value per epoch: the mean of the epoch's batches (Keras `epoch_loss`, Lightning
# `train_loss_epoch`), not one batch's loss -- its swings are the run's, not the batches'.
_EPOCH_MEAN = re.compile(r"(?:^|.*/)epoch_\w+|.*_epoch", re.IGNORECASE)


def is_epoch_mean(tag: str) -> bool:
    """Whether an original tag's name says it holds one value per epoch (`epoch_loss`,
    `train_loss_epoch`), i.e. an average over the epoch's batches."""
    return bool(_EPOCH_MEAN.fullmatch(tag))


def is_reconstruction(tag: str) -> bool:
    """A reconstruction loss (L1/L2/pixel) — the part of a GAN objective that measures fit."""
    return bool(_RECONSTRUCTION.search(tag.rpartition("/")[2] or tag))


def reconstruction_losses(tag_names: Iterable[str],
                          mapping: Mapping[str, str | None]) -> dict[str, str]:
    """For an adversarial run, its reconstruction losses as the run's losses:
    {original tag: "train/loss" | "val/loss"}, for each loss canonical no tag holds yet.
    The generator-plus-discriminator sum measures a balance, not fit."""
    held = {c for c in mapping.values() if c}
    out: dict[str, str] = {}
    for tag in sorted(set(tag_names)):
        prefix, _, last = tag.rpartition("/")
        if mapping.get(tag) is not None or "loss" not in last.lower() or not is_reconstruction(last):
            continue
        canonical = map_tags([f"{prefix}/loss" if prefix else "loss"]).popitem()[1]
        if canonical in LOSS_TAGS and canonical not in held:
            out[tag] = canonical
            held.add(canonical)
    return out


# ---- what the run is trained to do -------------------------------------------------------------
# Decides which remedies can help (`remedies.remedies_for(task=...)`). (task, regex over any tag of
# the run), first hit wins; a writer in DETECTION_WRITERS is a detector; a run logging accuracy is
# a classifier; anything else is unknown (None), and every remedy is offered.
TASKS = ("classification", "detection", "segmentation", "regression", "language_model", "generation")
TASK_HINTS: list[tuple[str, str]] = [
    ("segmentation", r"miou|sem_seg/|segm/|(?:^|[/_])dice"),
    ("detection", r"map_0\.5|map50|bbox/ap|cocoap|detectionboxes_|(?:^|/)(?:box|obj|giou)_loss$|"
                  r"loss_box_reg|loss_rpn"),
    ("language_model", r"perplexity|(?:^|[/_])ppl$"),
    ("classification", r"acc(?:uracy)?(?:$|[_/])|(?:^|[/_])(?:f1|auc|top_?[15])(?:$|[_/])"),
    ("regression", r"(?:^|[/_])(?:mae|rmse|r2|mape|smape)(?:$|[_/])"),
]
_TASK_HINTS = [(t, re.compile(p, re.IGNORECASE)) for t, p in TASK_HINTS]
DETECTION_WRITERS = ("yolov5", "detectron2", "tf-object-detection")


def task_of(tag_names: Iterable[str], writer: str | None = None) -> str | None:
    """The run's task from its writer and tags, or None when they do not tell."""
    return _task_of(tuple(tag_names), writer)


@functools.lru_cache(maxsize=512)
def _task_of(names: tuple[str, ...], writer: str | None) -> str | None:
    if loss_kind(names) == "adversarial":
        return "generation"
    if writer in DETECTION_WRITERS:
        return "detection"
    if writer == "run-doctor":
        return "classification"  # our trainer trains classifiers
    for task, pattern in _TASK_HINTS:
        if any(pattern.search(name) for name in names):
            return task
    return None
