"""Canonical tags from a run's own tag names: the alias table applied, the user's corrections on
top, loss totals a writer did not log, and the layer keys of per-layer data.

`map_tags` applies `tag_names.ALIASES` (earlier rows rank higher): each canonical tag is taken at
most once, by the best-ranked alias that matches a tag of the run; a tag nothing matches keeps
its own name with canonical None (never dropped). Where a writer logs loss components but no
total at all (YOLOv5; Mask2Former under Detectron2: `loss_ce`, `loss_dice`, `loss_mask`),
`derived_losses` offers their sum as a derived tag, e.g. `train/box_loss+cls_loss+obj_loss` ->
train/loss: those components are already weighted by the writer, so their sum is the objective
it minimises. Per-layer names become our layer keys (`layer_key`: `model.fc1.weight` -> `fc1`);
biases are left unmapped, so layers are compared by their weights.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from diagnostics.tag_hints import is_reconstruction, loss_kind
from diagnostics.tag_names import ALIASES, HISTOGRAM_FAMILIES, TEST_SPLITS, TRAIN_SPLITS, VAL_SPLITS

_COMPILED = [(re.compile(p, re.IGNORECASE), c) for p, c in ALIASES]


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


def default_losses(mapping: Mapping[str, str | None]) -> bool:
    """True when every loss canonical is held by the tag the alias table gives it (no user
    correction moved one): the run's losses are whatever its writer logged under that name
    (a reinforcement-learning writer's are then not judged: `tag_hints.RL_WRITERS`)."""
    return _default_losses(tuple(mapping.items()))


@functools.lru_cache(maxsize=512)  # the alias table's regexes once per tag map, not once per run
def _default_losses(items: tuple[tuple[str, str | None], ...]) -> bool:
    mapping = dict(items)
    default = map_tags(mapping)
    return all([o for o, c in mapping.items() if c == loss] ==
               [o for o, c in default.items() if c == loss] for loss in LOSS_TAGS)


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
