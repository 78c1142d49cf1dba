"""The rule registry: one module per problem, listed in the documents' order of diagnosis."""
from __future__ import annotations

from diagnostics.remedies import DIAGNOSIS_ORDER
from diagnostics.rules import (
    dead_relu,
    divergence,
    exploding_gradient,
    lr_oscillation,
    overfitting,
    underfitting,
    vanishing_gradient,
)
from diagnostics.rules.base import Rule

_MODULES = (divergence, exploding_gradient, vanishing_gradient, dead_relu, lr_oscillation,
            underfitting, overfitting)

RULES: dict[str, Rule] = {m.RULE.id: m.RULE for m in _MODULES}
if tuple(RULES) != DIAGNOSIS_ORDER:  # the catalogue and the rules must agree on the ids
    raise ImportError(f"rules {tuple(RULES)} do not match DIAGNOSIS_ORDER {DIAGNOSIS_ORDER}")

__all__ = ["RULES", "Rule"]
