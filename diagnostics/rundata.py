"""`RunData`: what the reader hands to everything else — one run as tidy long frames.

Frames keep every event under its ORIGINAL tag name; `tag_map` says which canonical tag
(`diagnostics.tags`) each original was taken as. Rules ask for canonical tags through
`scalar()` / `layers()`, so a corrected mapping (`with_mapping`) changes the diagnosis without
re-reading anything.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.messages import to_json
from diagnostics.tag_hints import is_reconstruction, loss_kind
from diagnostics.tags import apply_overrides, default_losses
from diagnostics.tagseries import TagSeries

SCALAR_COLUMNS = ("run", "tag", "step", "value", "wall_time")
HISTOGRAM_COLUMNS = ("run", "tag", "step", "wall_time", "left", "right", "count")


def _empty_scalars() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": pd.Series(dtype="category"),
            "tag": pd.Series(dtype="category"),
            "step": pd.Series(dtype=np.int64),
            "value": pd.Series(dtype=np.float64),
            "wall_time": pd.Series(dtype=np.float64),
        }
    )


def _empty_histograms() -> pd.DataFrame:
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


# Built once and copied: building an empty frame column by column costs ~8 ms, which a
# folder of 5,000 one-file runs (most without histograms) paid 5,000 times.
_EMPTY = {"scalars": _empty_scalars(), "histograms": _empty_histograms()}


def empty_scalars() -> pd.DataFrame:
    return _EMPTY["scalars"].copy()


def empty_histograms() -> pd.DataFrame:
    return _EMPTY["histograms"].copy()


@dataclass(frozen=True)
class FileProblem:
    """A file the reader skipped or only partly read, with a one-line reason (a `Msg` from the
    reader: its English text, key and params; `messages.render` words it)."""

    file: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """{"file", "message"} (the English), plus "key" and "params" when the message has a key."""
        return {"file": self.file, "message": str(self.message), **(to_json(self.message) or {})}


@dataclass(frozen=True)
class RunPart:
    """Where a run came from when its folder held several (`diagnostics.sessions`): the
    writer's step counter started over there, so the folder's files were split into runs."""

    index: int  # 1-based, in time order
    of: int  # how many runs the folder held
    folder: str  # the folder's run name, e.g. "logs" (the runs are "logs#1", "logs#2", ...)
    first_file: str  # name of the event file this run starts with
    steps: tuple[int, int]  # first and last step it logged

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "of": self.of, "folder": self.folder,
                "first_file": self.first_file, "steps": list(self.steps)}


@dataclass(frozen=True, eq=False)
class RunData:
    run: str  # name: the run folder's path relative to the root that was read, "#2" etc. added
    # when the folder held several runs (see `part`)
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
    part: RunPart | None = None  # set when the folder held several runs: which one this is
    # Per-tag series and row positions, built on first use (`tagseries`); carried by
    # `dataclasses.replace` copies and used by them while their frames are the same objects.
    tag_series: TagSeries | None = field(default=None, compare=False, repr=False)

    # ---- canonical access (what rules use) -------------------------------------------
    def originals_for(self, canonical: str) -> list[str]:
        if not canonical:
            return [orig for orig, canon in self.tag_map.items() if canon == canonical]
        return list(self._by_canonical().get(canonical, ()))

    def canonical_tags(self) -> set[str]:
        return set(self._by_canonical())

    def _by_canonical(self) -> dict[str, tuple[str, ...]]:
        """canonical -> its originals, in `tag_map`'s order: built once per tag map (rules ask
        ~40 times a run), kept beside the fields, not in them (a `replace` copy builds its own)."""
        known = self.__dict__.get("_canonicals")
        if known is not None and known[0] is self.tag_map:  # tag maps are never changed in place
            return known[1]
        by: dict[str, list[str]] = {}
        for orig, canon in self.tag_map.items():
            if canon:
                by.setdefault(canon, []).append(orig)
        out = {canon: tuple(origs) for canon, origs in by.items()}
        object.__setattr__(self, "_canonicals", (self.tag_map, out))
        return out

    def has(self, canonical: str) -> bool:
        return bool(self.originals_for(canonical))

    def has_points(self, canonical: str) -> bool:
        """Whether `scalar(canonical)` would give a non-empty series (without building it)."""
        return any(self._has_points(o) for o in self.originals_for(canonical))

    def has_layers(self, prefix: str) -> bool:
        """Whether `layers(prefix)` would give any layer (without building the series)."""
        return any(self.has_points(canon) for canon in self.canonical_tags()
                   if _is_layer(canon, prefix))

    def _has_points(self, tag: str) -> bool:
        if self.derived.get(tag):
            return len(self.original(tag)) > 0
        return self._tables().rows(tag) > 0

    def scalar(self, canonical: str) -> pd.Series | None:
        """The step-indexed series for a canonical tag, or None when the run lacks it.

        Steps are sorted; when a step was written more than once (a resumed or restarted
        run) the last write wins. When several original tags map to one canonical tag, the
        one with the most points is taken.
        """
        originals = tuple(self.originals_for(canonical))
        if not originals:
            return None
        key = ("scalar", canonical, tuple((o, tuple(self.derived.get(o) or ())) for o in originals))
        best = self._tables().remembered(key, lambda: _named(max((self.original(o) for o in originals), key=len),
                                                             canonical))
        return best if len(best) else None

    def chosen_original(self, canonical: str) -> str | None:
        """The original tag `scalar(canonical)` reads: of those mapped onto it, the one with the
        most steps (after a re-logged step counts once), the first on a tie."""
        originals = self.originals_for(canonical)
        return max(originals, key=lambda o: len(self.original(o))) if originals else None

    def original(self, tag: str) -> pd.Series:
        """The step-indexed series of one original (or derived) tag; empty when it has none.
        A derived tag is the sum of its parts at the steps where all of them were logged.
        The series is built once per run and shared: read it, do not modify it."""
        parts = tuple(self.derived.get(tag) or ())
        if parts:
            return self._tables().remembered((tag, parts), lambda: self._sum_of(tag, parts))
        return self._tables().series(tag)

    def _sum_of(self, tag: str, parts: tuple[str, ...]) -> pd.Series:
        aligned = pd.concat([self.original(p) for p in parts], axis=1, join="inner")
        total = aligned.sum(axis=1, min_count=len(parts)).rename(tag)
        total.index.name = "step"
        return total

    def layers(self, prefix: str) -> dict[str, pd.Series]:
        """Per-layer series for a canonical family, e.g. prefix "grad_norm" -> {layer: series}.

        The `total` entry of a family (e.g. `grad_norm/total`) is not a layer and is left out.
        """
        out: dict[str, pd.Series] = {}
        for canon in sorted(self.canonical_tags()):
            if _is_layer(canon, prefix):
                series = self.scalar(canon)
                if series is not None and len(series):
                    out[canon.partition("/")[2]] = series
        return out

    def histogram_tags(self, canonical_prefix: str) -> list[str]:
        """Original histogram tags mapped into a canonical family (e.g. "act", "grad")."""
        logged = self._tables().histogram_tags()
        return sorted(
            orig
            for orig, canon in self.tag_map.items()
            if canon and canon.split("/", 1)[0] == canonical_prefix and orig in logged
        )

    def histogram(self, tag: str) -> pd.DataFrame:
        """The bucket rows of one original histogram tag, in file order (empty when none)."""
        return self._tables().histogram(tag)

    def histogram_statistic(self, tag: str, statistic: Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
        """`statistic(self.histogram(tag))` (e.g. `histogram_stats.hist_l2`), computed once per run:
        several rules read the same layers. Shared: read it, do not modify it."""
        return self._tables().remembered(("histogram", tag, statistic),
                                         lambda: statistic(self.histogram(tag)))

    def loss_kind(self) -> str | None:
        """What the run's losses are when they do not measure fit (`tag_hints.loss_kind`:
        adversarial, reinforcement, contrastive), or None. A loss the user mapped by hand is
        taken as an ordinary loss: they said what it is."""
        if not default_losses(self.tag_map):
            return None
        return loss_kind(self.tag_map, self.writer)

    def fit_measured(self) -> bool:
        """Whether train/loss measures fit: an ordinary loss, or the reconstruction term of
        an adversarial objective (pix2pix's L1), which is judged like one."""
        kind = self.loss_kind()
        return kind is None or (kind == "adversarial" and any(
            is_reconstruction(o) for o in self.originals_for("train/loss")))

    # ---- mapping -----------------------------------------------------------------------
    def with_mapping(self, overrides: Mapping[str, str | None]) -> RunData:
        """A copy whose tag map has the user's corrections applied (original -> canonical);
        a corrected canonical is taken from whatever original held it (`tags.apply_overrides`)."""
        return replace(self, tag_map=apply_overrides(self.tag_map, overrides))

    def point_counts(self) -> dict[str, int]:
        """Number of points per original tag, scalars and histograms together."""
        tables = self._tables()
        counts = dict(tables.scalar_index().counts)  # only tags with rows count
        for tag, n in tables.histogram_counts().items():
            counts[tag] = counts.get(tag, 0) + n
        for tag in self.derived:
            counts[tag] = len(self.original(tag))
        return {str(k): int(v) for k, v in sorted(counts.items())}

    def _tables(self) -> TagSeries:
        tables = self.tag_series
        if tables is None or not tables.built_for(self.scalars, self.histograms):
            tables = TagSeries(self.scalars, self.histograms)
            object.__setattr__(self, "tag_series", tables)  # a cache, not part of the value
        return tables


def _named(series: pd.Series, name: str) -> pd.Series:
    """The series under `name`: itself when it has that name already (a shared, read-only
    series either way; `rename` would copy it)."""
    return series if series.name == name else series.rename(name)


def _is_layer(canonical: str, prefix: str) -> bool:
    """A per-layer tag of a family: `grad_norm/fc1` is, `grad_norm/total` is not."""
    family, _, layer = canonical.partition("/")
    return family == prefix and bool(layer) and layer != "total"
