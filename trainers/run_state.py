"""The states of a run and of the job that trains it, typed: one StrEnum instead of names
spelled out in five files. Equal to the names stored in job entries and status.json, so files
written by earlier versions read unchanged."""
from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """A job's state, or a run's as its trainer's status.json says (early_stopped, stopped).
    A StrEnum: equal to its name as stored in the files, so old entries read unchanged."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    EARLY_STOPPED = "early_stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # Ctrl-C or SIGTERM inside the trainer


QUEUED, RUNNING, DONE, DIVERGED, FAILED, CANCELLED = (
    RunState.QUEUED, RunState.RUNNING, RunState.DONE, RunState.DIVERGED, RunState.FAILED,
    RunState.CANCELLED)
EARLY_STOPPED, STOPPED = RunState.EARLY_STOPPED, RunState.STOPPED
STATES = (QUEUED, RUNNING, DONE, DIVERGED, FAILED, CANCELLED)  # what a job entry may hold
FINISHED = frozenset({DONE, DIVERGED, FAILED, CANCELLED})  # a job that will not change again
# A run that finished with curves a verdict can use; one that finished at all.
USABLE = frozenset({DONE, DIVERGED, EARLY_STOPPED})
OVER = USABLE | FINISHED | {STOPPED}


def run_state_of(value: object) -> RunState | None:
    """A state read from a file as a RunState; None for anything we did not write."""
    try:
        return RunState(value) if isinstance(value, str) else None
    except ValueError:
        return None
