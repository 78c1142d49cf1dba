"""What a run's tag names (and file paths) say about it beyond the mapping: which program wrote
it, what it is trained to do, whether its losses measure fit, which way a metric is better,
whether a value is an epoch's mean. Each is a table of regexes (data), first hit wins.

Reinforcement-learning writers (`RL_WRITERS`): SB3's `train/loss` keeps its canonical name (it
IS the tag's name, and the mapping is the reader's record of what was logged), but a PPO loss is
a policy/value/entropy objective, not a supervised loss: it can go negative and rises as
returns grow. The engine therefore does not judge loss-based rules on these writers' default
mapping (`tags.default_losses`: not assessed, with the reason); a loss the user maps by hand is
judged.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable

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
# Writers whose "losses" are reinforcement-learning objectives (see the module docstring).
RL_WRITERS = ("stable-baselines3", "ml-agents")


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
