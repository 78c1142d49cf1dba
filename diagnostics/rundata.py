"""`RunData`: what the reader hands to everything else — one run as tidy long frames.

Frames keep every event under its ORIGINAL tag name; `tag_map` says which canonical tag
(`diagnostics.tags`) each original was taken as. Rules ask for canonical tags through
`scalar()` / `layers()`, so a corrected mapping (`with_mapping`) changes the diagnosis without
re-reading anything.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.tags import apply_overrides

SCALAR_COLUMNS = ("run", "tag", "step", "value", "wall_time")
HISTOGRAM_COLUMNS = ("run", "tag", "step", "wall_time", "left", "right", "count")


def empty_scalars() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": pd.Series(dtype="category"),
            "tag": pd.Series(dtype="category"),
            "step": pd.Series(dtype=np.int64),
            "value": pd.Series(dtype=np.float64),
            "wall_time": pd.Series(dtype=np.float64),
        }
    )


def empty_histograms() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": pd.Series(dtype="category"),
            "tag": pd.Series(dtype="category"),
            "step": pd.Series(dtype=np.int64),
            "wall_time": pd.Series(dtype=np.float64),
            "left": pd.Series(dtype=np.float64),
            "right": pd.Series(dtype=np.float64),
            "count": pd.Series(dtype=np.float64),
        }
    )


@dataclass(frozen=True)
class FileProblem:
    """A file the reader skipped or only partly read, with a one-line reason."""

    file: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "message": self.message}


@dataclass(frozen=True, eq=False)
class RunData:
    run: str  # name: the run folder's path relative to the root that was read
    scalars: pd.DataFrame = field(default_factory=empty_scalars)  # SCALAR_COLUMNS, file order; run, tag categorical
    histograms: pd.DataFrame = field(default_factory=empty_histograms)  # one row per bucket
    tag_map: Mapping[str, str | None] = field(default_factory=dict)  # original -> canonical
    config: Mapping[str, Any] | None = None  # our config.json, else hparams where present
    writer: str | None = None  # which program wrote the files, when it can be told
    files: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()  # partial reads (e.g. truncated tail)
    path: str = ""  # the run folder (or file) on disk
    # Derived tags (no rows of their own): name -> the original tags summed, e.g. a loss total
    # a writer logged only as components (tags.derived_losses). They sit in tag_map like any tag.
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # ---- canonical access (what rules use) -------------------------------------------
    def originals_for(self, canonical: str) -> list[str]:
        return [orig for orig, canon in self.tag_map.items() if canon == canonical]

    def canonical_tags(self) -> set[str]:
        return {c for c in self.tag_map.values() if c}

    def has(self, canonical: str) -> bool:
        return bool(self.originals_for(canonical))

    def scalar(self, canonical: str) -> pd.Series | None:
        """The step-indexed series for a canonical tag, or None when the run lacks it.

        Steps are sorted; when a step was written more than once (a resumed or restarted
        run) the last write wins. When several original tags map to one canonical tag, the
        one with the most points is taken.
        """
        series = [self.original(o) for o in self.originals_for(canonical)]
        if not series:
            return None
        best = max(series, key=len)
        return best.rename(canonical) if len(best) else None

    def original(self, tag: str) -> pd.Series:
        """The step-indexed series of one original (or derived) tag; empty when it has none.
        A derived tag is the sum of its parts at the steps where all of them were logged."""
        parts = self.derived.get(tag)
        if parts:
            aligned = pd.concat([self.original(p) for p in parts], axis=1, join="inner")
            total = aligned.sum(axis=1, min_count=len(parts)).rename(tag)
            total.index.name = "step"
            return total
        frame = self.scalars[self.scalars["tag"] == tag]
        frame = frame.sort_values("wall_time", kind="stable").drop_duplicates("step", keep="last")
        series = pd.Series(
            frame["value"].to_numpy(dtype=np.float64),
            index=frame["step"].to_numpy(dtype=np.int64),
            name=tag,
        ).sort_index(kind="stable")
        series.index.name = "step"
        return series

    def layers(self, prefix: str) -> dict[str, pd.Series]:
        """Per-layer series for a canonical family, e.g. prefix "grad_norm" -> {layer: series}.

        The `total` entry of a family (e.g. `grad_norm/total`) is not a layer and is left out.
        """
        out: dict[str, pd.Series] = {}
        for canon in sorted(self.canonical_tags()):
            family, _, layer = canon.partition("/")
            if family == prefix and layer and layer != "total":
                series = self.scalar(canon)
                if series is not None and len(series):
                    out[layer] = series
        return out

    def histogram_tags(self, canonical_prefix: str) -> list[str]:
        """Original histogram tags mapped into a canonical family (e.g. "act", "grad")."""
        return sorted(
            orig
            for orig, canon in self.tag_map.items()
            if canon and canon.split("/", 1)[0] == canonical_prefix
            and orig in set(self.histograms["tag"].unique())
        )

    # ---- mapping -----------------------------------------------------------------------
    def with_mapping(self, overrides: Mapping[str, str | None]) -> RunData:
        """A copy whose tag map has the user's corrections applied (original -> canonical);
        a corrected canonical is taken from whatever original held it (`tags.apply_overrides`)."""
        return replace(self, tag_map=apply_overrides(self.tag_map, overrides))

    def point_counts(self) -> dict[str, int]:
        """Number of points per original tag, scalars and histograms together."""
        # observed=True: `tag` is categorical; only tags with rows count (and no warning)
        counts = self.scalars.groupby("tag", observed=True).size().to_dict()
        if not self.histograms.empty:
            hist = self.histograms.drop_duplicates(["tag", "step", "wall_time"])
            for tag, n in hist.groupby("tag", observed=True).size().items():
                counts[tag] = counts.get(tag, 0) + int(n)
        for tag in self.derived:
            counts[tag] = len(self.original(tag))
        return {str(k): int(v) for k, v in sorted(counts.items())}
