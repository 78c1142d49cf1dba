"""The one line that makes a run log what the gradient and activation rules read, by the
program that wrote the log (`RunData.writer`): shown with "not assessed" (`Rule.run`).

Data only: the line per writer (English here, keys "instrument.<writer>"; Chinese in
`messages_zh`), and the families the instruments write. The lines name `trainers.callbacks` /
`trainers.hooks` but import nothing from them.
"""
from __future__ import annotations

from collections.abc import Iterable

from diagnostics.messages import Msg

# needs (see rules.base.Need) that only instruments log: a run missing one of these gets the line
INSTRUMENTED = ("grad_norm/", "weight_norm/", "update_ratio/", "dead_frac/", "hist:grad/", "hist:act/")

TEXT = {
    "pytorch-lightning": "add `RunDoctorCallback()` to `Trainer(callbacks=[...])` "
                         "(`from trainers.callbacks.lightning import RunDoctorCallback`)",
    "huggingface": "`Trainer(..., callbacks=[RunDoctorCallback()])` "
                   "(`from trainers.callbacks.huggingface import RunDoctorCallback`)",
    "own_loop": "`inst = instrument(model, writer)` (`from trainers.hooks import instrument`), then "
                "`inst.after_backward(step)` after backward() and `inst.after_step(step)` after the "
                "optimizer step",
}
WRITERS = ("pytorch-lightning", "huggingface")  # writers with a line of their own


def hint(writer: str | None) -> Msg:
    """The line for runs of `writer` (our own loop's line for any other)."""
    return Msg(f"instrument.{writer if writer in WRITERS else 'own_loop'}")


def wanted(missing: Iterable[Iterable[str]]) -> bool:
    """Whether every alternative (the tags each one lacks) lacks an instrument's tag: the
    instruments' data is not in the run at all (a run lacking only its loss is not told)."""
    return all(any(tag.startswith(INSTRUMENTED) for tag in need) for need in missing)
