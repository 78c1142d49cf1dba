"""The rule registry: one module per problem, one line each, in the documents' order of diagnosis.

Adding a rule is one new module in this package (see `base` for what it declares) and one line
in `REGISTRY`: the tuple is the order of diagnosis, and everything else (the stage, the title,
the words, the engine's order) is read from the rules it lists. `RULES` is the registry loaded;
the engine and the renderers read it when they run, so a registry swapped in (a test, a user's
own rules) is the one they use.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable

from diagnostics.rules.base import Rule

REGISTRY: tuple[str, ...] = (
    "divergence",
    "exploding_gradient",
    "vanishing_gradient",
    "dead_relu",
    "lr_oscillation",
    "underfitting",
    "overfitting",
)


def load(registry: Iterable[str]) -> dict[str, Rule]:
    """{id: rule} for the modules named (in this package), in the registry's order."""
    rules = [importlib.import_module(f"{__name__}.{name}").RULE for name in registry]
    stages = [r.stage for r in rules]
    if stages != sorted(stages):  # fix what breaks the run before what it learns, then generalises
        raise ImportError(f"the registry's order must follow the stages: {[(r.id, r.stage) for r in rules]}")
    loaded = {rule.id: rule for rule in rules}
    if len(loaded) != len(rules):
        raise ImportError(f"two rules share an id: {[r.id for r in rules]}")
    return loaded


RULES: dict[str, Rule] = load(REGISTRY)

__all__ = ["REGISTRY", "RULES", "Rule", "load"]
