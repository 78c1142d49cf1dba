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
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

CANONICAL = (
    "train/loss", "val/loss", "train/acc", "val/acc", "opt/lr", "grad_norm/total",
)
FAMILIES = ("grad_norm", "weight_norm", "update_ratio", "dead_frac")  # <family>/<layer> scalars
HISTOGRAM_FAMILIES = ("act", "grad")  # <family>/<layer> histograms

VAL_SPLITS = ("validation", "valid", "val", "eval", "evaluation")  # folder names / tag sides
TEST_SPLITS = ("test",)
TRAIN_SPLITS = ("train", "training")

_V = r"(?:validation|valid|val|eval|evaluation)"
_ACC = r"(?:acc|accuracy)"
_LR = r"(?:lr|learning_rate|learning-rate|learningrate)"

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
    (rf"{_ACC}|batch_{_ACC}", "train/acc"),
    # ---- val/acc
    (rf"val_{_ACC}(?:_epoch)?", "val/acc"),
    (rf"{_V}/epoch_(?:\w+_)?{_ACC}", "val/acc"),
    (rf"{_V}/{_ACC}|{_ACC}/{_V}|{_V}_{_ACC}", "val/acc"),
    (rf"{_V}/metrics/{_ACC}", "val/acc"),
    (rf"{_V}/evaluation_{_ACC}_vs_iterations", "val/acc"),
    (rf"test_{_ACC}|test/{_ACC}|{_ACC}/test|test/epoch_{_ACC}", "val/acc"),
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
    (r"train/grad_norm|grad_norm|gradient_norm|grad_norm_total", "grad_norm/total"),  # HF
    (r"grad_2\.0_norm_total|grad_2\.0_norm/total", "grad_norm/total"),  # Lightning
    (r"training/gradients_l2", "grad_norm/total"),  # Trax
    (r"grad_2\.0_norm/(?P<layer>.+)", r"grad_norm/\g<layer>"),
    (r"training/weights_l2", "weight_norm/total"),  # Trax
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
    tags: Iterable[str], overrides: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """original -> canonical (or None). Each canonical is taken once, by the best alias."""
    names = sorted(set(tags))
    mapping: dict[str, str | None] = dict.fromkeys(names)
    taken: set[str] = set()
    for pattern, template in _COMPILED:
        for tag in names:
            if mapping[tag] is not None:
                continue
            match = pattern.fullmatch(tag)
            if match is None:
                continue
            canonical = match.expand(template)
            if canonical not in taken:
                mapping[tag] = canonical
                taken.add(canonical)
    return apply_overrides(mapping, overrides) if overrides else mapping


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
