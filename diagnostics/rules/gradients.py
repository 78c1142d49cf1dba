"""Where the gradient rules get gradient norms from, whichever way a run logged them.

Preference: per-layer scalars `grad_norm/<layer>`, else per-layer gradient histograms
`grad/<layer>` (L2 norm of the bucketed values); the total is `grad_norm/total` (what Hugging
Face logs), else the root-sum-square of the layers on their common steps.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from diagnostics.histogram_stats import hist_l2
from diagnostics.rundata import RunData


def natural_key(name: str) -> list:
    """fc2 < fc10; the classifier `out`/`head`/`fc`-less names sort last by plain text."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def layer_norms(run: RunData) -> tuple[dict[str, pd.Series], str]:
    """{layer: gradient-norm series} in natural order, and the tag family they came from."""
    layers = run.layers("grad_norm")
    family = "grad_norm/<layer>"
    if not layers:
        family = "grad/<layer> (histograms)"
        for tag in run.histogram_tags("grad"):
            canon = run.tag_map.get(tag) or tag
            layers[canon.partition("/")[2] or tag] = run.histogram_statistic(tag, hist_l2)
    return {k: layers[k] for k in sorted(layers, key=natural_key)}, family


def total_norm(run: RunData) -> tuple[pd.Series | None, str]:
    """The total gradient norm per step, and where it came from."""
    total = run.scalar("grad_norm/total")
    if total is not None and len(total):
        return total, "grad_norm/total"
    layers, family = layer_norms(run)
    if not layers:
        return None, ""
    frame = pd.concat(layers, axis=1).dropna()
    if frame.empty:
        return None, ""
    combined = pd.Series(np.sqrt((frame.to_numpy() ** 2).sum(axis=1)), index=frame.index)
    return combined, f"{family}, combined"
