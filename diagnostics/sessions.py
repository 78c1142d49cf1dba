"""Which event files of one folder belong to one run.

A folder can hold several runs: a script started twice into one logdir, a Hugging Face
`Trainer` re-created with the same `logging_dir`, two Keras `fit()` calls. Each event file is
one writer session. Taken in the order of the timestamps in their names, a file

- STARTS a new run when its step counter started over: the session begins (its first step less
  one logging interval) within the first quarter of the steps the run has so far, i.e. back at
  or near the run's beginning;
- CONTINUES the run otherwise: its steps carry on, or it resumed from a checkpoint and re-logs
  what came after that checkpoint (the later write of a step wins, `RunData.scalar`);
- joins, without that judgement, the run it was written alongside: when it shares no tag with
  the run so far (a Keras validation side, hparams or a graph in a file of their own, a text-only
  file) it goes to the run its wall times overlap, else to the latest run; when its writing
  began before the run's last event, two writers were at it at once: one run.

Tags shared with the run vote, weighted by the file's points on them: a writer may count some
tags on a counter of its own (a GAN's per-session batch step next to a global epoch). A tag the
run logged at one step only (Lightning's `hp_metric` at 0, a final summary) has no say, so a
session that logged a single step and died is folded into the session after it (the later
write of a step wins there too).

Works on decoded columns (`records.FileEvents`); parsing stays in the reader.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from diagnostics.records import FileEvents

# Where in the run's steps so far a session may begin and still be a resume: a resume re-logs
# at most what came after its checkpoint; a restart begins at the start (give or take the
# error of guessing its first interval from the mean one).
_RESTART_ZONE = 0.25
_HISTOGRAM = "\0histogram:"  # key prefix: a histogram tag never meets a scalar tag of its name


@dataclass(frozen=True)
class Session:
    """What the split needs to know of one event file."""

    tags: dict[str, tuple[int, int, int]]  # tag -> (first step, last step, points)
    wall: tuple[float, float]  # first and last wall time of its data; NaN when unknown


@dataclass
class _Run:
    files: list[int]
    tags: dict[str, tuple[int, int]] = field(default_factory=dict)  # tag -> (first, last) step
    wall: tuple[float, float] = (math.nan, math.nan)

    def add(self, index: int, s: Session) -> None:
        self.files.append(index)
        for tag, (first, last, _) in s.tags.items():
            known = self.tags.get(tag)
            self.tags[tag] = (first, last) if known is None else (min(known[0], first), max(known[1], last))
        self.wall = (float(np.fmin(self.wall[0], s.wall[0])), float(np.fmax(self.wall[1], s.wall[1])))


def session_of(fe: FileEvents, side: str = "") -> Session:
    """The steps of each tag (`side` prefixed, as the run will name it) and the wall times."""
    tags = _spans(fe.scalar_tags, fe.scalar_ids, fe.steps, side)
    walls = [fe.wall_times]
    if fe.hist and fe.hist["id"].size:
        ids, steps, wall = _one_row_per_histogram(fe)
        tags.update(_spans(fe.hist_tags, ids, steps, _HISTOGRAM + side))
        walls.append(wall)
    wall = np.concatenate(walls)
    if not wall.size or np.isnan(wall).all():
        return Session(tags, (fe.last_wall_time, fe.last_wall_time))
    return Session(tags, (float(np.nanmin(wall)), float(np.nanmax(wall))))


def _spans(names: tuple[str, ...], ids: np.ndarray, steps: np.ndarray,
           prefix: str) -> dict[str, tuple[int, int, int]]:
    if not steps.size:
        return {}
    first = np.full(len(names), np.iinfo(np.int64).max)
    last = np.full(len(names), np.iinfo(np.int64).min)
    np.minimum.at(first, ids, steps)
    np.maximum.at(last, ids, steps)
    points = np.bincount(ids, minlength=len(names))
    return {prefix + names[k]: (int(first[k]), int(last[k]), int(points[k])) for k in np.flatnonzero(points)}


def _one_row_per_histogram(fe: FileEvents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histogram rows are buckets, a histogram's buckets in a row: keep its first bucket. Looked
    at per histogram (`hist_heads`), not per row: 400 k histograms rather than 25 M rows. Two
    histograms in a row with the same tag, step and wall time count once, as rows would."""
    ids, steps, wall = (fe.hist[k][fe.hist_heads] for k in ("id", "step", "wall_time"))
    if np.isnan(wall).any():  # NaN != NaN: every such row counted, as a scan of the rows has it
        ids, steps, wall = fe.hist["id"], fe.hist["step"], fe.hist["wall_time"]
    starts = np.ones(ids.size, bool)
    starts[1:] = (ids[1:] != ids[:-1]) | (steps[1:] != steps[:-1]) | (wall[1:] != wall[:-1])
    return ids[starts], steps[starts], wall[starts]


def split(sessions: list[Session]) -> list[list[int]]:
    """The sessions (in time order) grouped into runs: lists of their indices, in time order."""
    runs: list[_Run] = []
    waiting: list[int] = []  # no steps to judge, and no run yet to join
    for index, s in enumerate(sessions):
        current = runs[-1] if runs else None
        if current is None and not s.tags:
            waiting.append(index)
        elif current is not None and not _shares_tags(current, s):
            (_alongside(runs, s) or current).add(index, s)
        elif current is None or _starts_over(current, s):
            runs.append(_Run([]))
            runs[-1].add(index, s)
        else:
            current.add(index, s)
    if not runs:
        return [waiting] if waiting else []
    runs[0].files[:0] = waiting
    return [sorted(r.files) for r in runs]


def _shares_tags(run: _Run, s: Session) -> bool:
    return not run.tags.keys().isdisjoint(s.tags)


def _starts_over(run: _Run, s: Session) -> bool:
    """Did this session's step counter start over, rather than carry on the run's?"""
    if s.wall[0] < run.wall[1]:  # written while the run was: a second writer, not a restart
        return False
    restart = carry_on = 0
    for tag in run.tags.keys() & s.tags.keys():
        run_first, run_last = run.tags[tag]
        if run_first == run_last:  # logged once (hp_metric at 0, a final eval): no counter to judge
            continue
        first, last, points = s.tags[tag]
        begins = first - (last - first) / (points - 1) if points > 1 else first  # one interval back
        if begins <= run_first + _RESTART_ZONE * (run_last - run_first):
            restart += points
        else:
            carry_on += points
    return restart > carry_on


def _alongside(runs: list[_Run], s: Session) -> _Run | None:
    """The run whose wall times overlap the session's most (the latest on a tie), if any."""
    best, most = None, -math.inf
    for run in runs:
        overlap = min(run.wall[1], s.wall[1]) - max(run.wall[0], s.wall[0])  # NaN: unknown, no match
        if overlap >= 0 and overlap >= most:
            best, most = run, overlap
    return best
