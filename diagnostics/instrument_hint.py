"""The one line that makes a run log what the gradient and activation rules read, by the
program that wrote the log (`RunData.writer`): shown with "not assessed" (`Rule.run`).

Data only: a table of writer -> text per language, and the families the instruments write.
The lines name `trainers.callbacks` / `trainers.hooks` but import nothing from them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

# needs (see rules.base.Need) that only instruments log: a run missing one of these gets the line
INSTRUMENTED = ("grad_norm/", "weight_norm/", "update_ratio/", "dead_frac/", "hist:grad/", "hist:act/")

HINTS: dict[str, Mapping[str, str]] = {
    "pytorch-lightning": {
        "en": "add `RunDoctorCallback()` to `Trainer(callbacks=[...])` "
              "(`from trainers.callbacks.lightning import RunDoctorCallback`)",
        "zh": "在 `Trainer(callbacks=[...])` 中加入 `RunDoctorCallback()`"
              "（`from trainers.callbacks.lightning import RunDoctorCallback`）",
    },
    "huggingface": {
        "en": "`Trainer(..., callbacks=[RunDoctorCallback()])` "
              "(`from trainers.callbacks.huggingface import RunDoctorCallback`)",
        "zh": "`Trainer(..., callbacks=[RunDoctorCallback()])`"
              "（`from trainers.callbacks.huggingface import RunDoctorCallback`）",
    },
}
OWN_LOOP = {
    "en": "`inst = instrument(model, writer)` (`from trainers.hooks import instrument`), then "
          "`inst.after_backward(step)` after backward() and `inst.after_step(step)` after the "
          "optimizer step",
    "zh": "`inst = instrument(model, writer)`（`from trainers.hooks import instrument`），然后在 "
          "backward() 之后调用 `inst.after_backward(step)`，在优化器更新之后调用 "
          "`inst.after_step(step)`",
}
LEAD = {"en": "; to log all of it: ", "zh": "；全部记录只需："}


def hint(writer: str | None) -> Mapping[str, str]:
    """The line for runs of `writer`, per language (our own loop's line for any other)."""
    return HINTS.get(writer or "", OWN_LOOP)


def wanted(missing: Iterable[Iterable[str]]) -> bool:
    """Whether every alternative (the tags each one lacks) lacks an instrument's tag: the
    instruments' data is not in the run at all (a run lacking only its loss is not told)."""
    return all(any(tag.startswith(INSTRUMENTED) for tag in need) for need in missing)
