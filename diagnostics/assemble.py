"""Parsed event files of one run folder -> `RunData`: split into runs, frames, config, writer.

    runs = assemble.runs(("logs", "root/logs", "#"), run_dir, parsed, errors, overrides)

`parsed` is [(file, FileEvents)] in time order, each file with its tag prefix settled (the
validation side's `validation/`). A folder whose writer's step counter started over holds several
runs (`sessions.split`): they are named "<folder>#1", "<folder>#2", ... with `part` saying so.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import sessions, tag_hints, tags
from diagnostics.files import NotRegular, read_regular
from diagnostics.messages import Msg
from diagnostics.records import FileEvents
from diagnostics.rundata import FileProblem, RunData, RunPart, empty_histograms, empty_scalars

# trainers.config.TrainConfig fields that together mark our trainer's config.json (the reader
# does not import trainers/); `"writer": "run-doctor"` in the file marks it too.
_OUR_CONFIG_FIELDS = frozenset({"optimizer", "lr", "seed", "log_every", "hist_every"})
_MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class File:
    path: Path  # on disk
    shown: str  # "<root name>/<path relative to the root>", used in messages (names escaped)
    side: str  # tag prefix: "" or "<validation folder name>/"


def runs(names: tuple[str, str, str], run_dir: Path, parsed: list[tuple[File, FileEvents]],
         errors: list[FileProblem], overrides) -> list[RunData]:
    """The runs of one run folder. `names`: (run name, the folder as shown, what joins the
    name to a run's number); `errors` gets the config.json's problem, if any."""
    name, shown_dir, sep = names
    groups = _split(parsed)
    ours, from_json = _config(run_dir, errors, shown_dir)
    if len(groups) == 1:
        return [_build_run(name, run_dir, parsed, errors, ours, from_json, overrides)]
    out = []
    for n, group in enumerate(groups, 1):  # "logs#1", "logs#2", ... in time order
        run = _build_run(f"{name}{sep}{n}", run_dir, [parsed[i] for i in group], errors, ours, from_json,
                         overrides)
        out.append(replace(run, part=_part(run, n, len(groups), name)))
    return out


def _split(parsed: list[tuple[File, FileEvents]]) -> list[list[int]]:
    """The files (indices into `parsed`, time order) of each run the folder held."""
    if len(parsed) == 1:
        return [[0]]
    return sessions.split([sessions.session_of(fe, f.side) for f, fe in parsed])


def _build_run(name, run_dir, parsed, errors, ours, from_json, overrides) -> RunData:
    scalars, histograms, tag_names = _frames(name, parsed)
    hparams = next((fe.hparams for _, fe in parsed if fe.hparams), None)
    config = from_json if ours else hparams or from_json  # ours, else hparams, else any config.json
    writer = "run-doctor" if ours else tag_hints.guess_writer(
        tag_names,
        [p for f, _ in parsed for p in (f.shown, str(f.path))],
        [fe.source_writer for _, fe in parsed],
        set().union(*(fe.plugins | fe.kinds for _, fe in parsed)),
    )
    # whether a tag is a histogram decides its family (`gradients/fc1.weight`: grad/ or grad_norm/)
    mapping = tags.map_tags(tag_names, histogram_tags=histograms["tag"].cat.categories)
    derived = tags.derived_losses(scalars["tag"].cat.categories, mapping)  # loss totals never logged
    shown = {f.shown for f, _ in parsed}
    return RunData(
        run=name,
        scalars=scalars,
        histograms=histograms,
        tag_map=tags.apply_overrides({**mapping, **{d: c for d, (c, _, _) in derived.items()}}, overrides),
        derived={d: tuple(prefix + part for part in parts) for d, (_, prefix, parts) in derived.items()},
        config=config,
        writer=writer,
        files=tuple(f.shown for f, _ in parsed),
        problems=tuple(p for p in errors if p.file in shown),  # partial reads of its files
        path=str(run_dir),
    )


def _part(run: RunData, index: int, of: int, folder: str) -> RunPart:
    steps = np.concatenate([run.scalars["step"].to_numpy(), run.histograms["step"].to_numpy()])
    return RunPart(index=index, of=of, folder=folder, first_file=Path(run.files[0]).name,
                   steps=(int(steps.min()), int(steps.max())) if steps.size else (0, 0))


def _config(run_dir: Path, errors: list[FileProblem], shown_dir: str) -> tuple[bool, dict[str, Any] | None]:
    """(is it our trainer's, contents) of the run folder's config.json."""
    path = run_dir / "config.json"
    if not path.is_file() or path.is_symlink():
        return False, None
    try:
        data = read_regular(path, _MAX_CONFIG_BYTES + 1)
        if len(data) > _MAX_CONFIG_BYTES:
            raise ValueError("larger than 1 MiB")
        cfg = json.loads(data.decode("utf-8"))
    except NotRegular:
        return False, None
    except RecursionError:
        errors.append(FileProblem(f"{shown_dir}/config.json", Msg("config_json.unreadable", why="nested too deeply")))
        return False, None
    except (OSError, ValueError) as err:
        why = " ".join(str(err).split())[:200]
        errors.append(FileProblem(f"{shown_dir}/config.json", Msg("config_json.unreadable", why=why)))
        return False, None
    if not isinstance(cfg, dict):
        return False, None
    ours = cfg.get("writer") == "run-doctor" or cfg.keys() >= _OUR_CONFIG_FIELDS
    return ours, cfg


def _frames(name: str, parsed: list[tuple[File, FileEvents]]) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Concatenate the files' columns into the two tidy frames, built once each."""
    scalar_index: dict[str, int] = {}
    hist_index: dict[str, int] = {}
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "step", "value", "wall_time")}
    hcols: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "step", "wall_time", "left", "right", "count")}
    for f, fe in parsed:
        if fe.steps.size:
            remap = np.asarray([scalar_index.setdefault(f.side + t, len(scalar_index)) for t in fe.scalar_tags],
                               np.int32)
            cols["id"].append(_recode(remap, fe.scalar_ids))
            cols["step"].append(fe.steps)
            cols["value"].append(fe.values)
            cols["wall_time"].append(fe.wall_times)
        if fe.hist and fe.hist["id"].size:
            remap = np.asarray([hist_index.setdefault(f.side + t, len(hist_index)) for t in fe.hist_tags], np.int32)
            hcols["id"].append(_recode(remap, fe.hist["id"]))
            for k in ("step", "wall_time", "left", "right", "count"):
                hcols[k].append(fe.hist[k])
    scalars = _frame(name, scalar_index, cols, empty_scalars)
    histograms = _frame(name, hist_index, hcols, empty_histograms)
    return scalars, histograms, set(scalar_index) | set(hist_index)


@functools.lru_cache(maxsize=1024)
def _categories(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """A categorical dtype per set of names, built once: a folder of 5,000 runs logging the same
    tags builds it once, not 5,000 times (~0.3 ms each)."""
    return pd.CategoricalDtype(list(names))


def _frame(name: str, index: dict[str, int], cols: dict[str, list[np.ndarray]], empty) -> pd.DataFrame:
    if not cols["id"]:
        return empty()
    ids = _join(cols.pop("id"))
    # Categorical columns: the codes we already have plus one copy of each name. A string per
    # row made the pickle that st.cache_data stores 1.4x larger (50 MB logdir of
    # benchmarks/make_big_log.py: 43.8 -> 31.4 MB) and `tag == name` filters slower.
    data = {
        "run": pd.Categorical.from_codes(np.zeros(ids.size, np.int8), dtype=_categories((name,))),
        "tag": pd.Categorical.from_codes(ids, dtype=_categories(tuple(index))),
    }
    data.update({k: _join(v) for k, v in cols.items()})  # already in the columns' order
    return pd.DataFrame(data, copy=False)


# One file's columns go into the frame as they are (frames are read-only), not copied: for 25 M
# histogram rows a copy was 1 GB more at the peak and a second of page faults.
def _join(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _recode(remap: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A file's tag ids as the run's; kept as they are when they are the same."""
    return ids if np.array_equal(remap, np.arange(remap.size)) else remap[ids]
