"""One background job as the registry stores it (`<root>/.jobs/<id>.json`): its fields, the
command line it runs, its own files, and the line of its log that says what went wrong.

A job file never says what to run: a job is one of our own kinds, "train"/"rerun" (our trainer
on `<run_dir>/job-config.json`) or "repair" (auto-repair of a parent run), and `entry_point()`
builds the command line from checked fields (`trainers.job_entry` checks an entry before the
queue uses it). The job's own files (log, status) are read through `trainers.confine`, so a
planted symlink in its run folder shows nothing from elsewhere.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from diagnostics.messages import to_json
from trainers.confine import OutsideRoot, confined, read_bytes, read_json
from trainers.run_state import (  # noqa: F401 - the queue's names for them
    CANCELLED,
    DIVERGED,
    DONE,
    EARLY_STOPPED,
    FAILED,
    FINISHED,
    OVER,
    QUEUED,
    RUNNING,
    STATES,
    STOPPED,
    USABLE,
    RunState,
    run_state_of,
)

KINDS = ("train", "rerun", "repair")
# (module, function) each kind runs. Code, not data: the only things a job process calls.
ENTRY_POINT = {"train": ("trainers.train_job", "main"), "rerun": ("trainers.train_job", "main"),
               "repair": ("trainers.repair", "main")}
STATUS_FILE = {"train": "status.json", "rerun": "status.json", "repair": "repair.json"}
LOG_FILE = "job.log"
CONFIG_FILE = "job-config.json"  # a train job's input; the trainer writes config.json itself

JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_COUNTERS = ("epoch", "epochs", "step", "total_steps")


class BadEntry(ValueError):
    """A registry entry the queue must not use; the message is one line saying why."""


@dataclass(frozen=True)
class RepairTask:
    """What an auto-repair job repairs: the fields its command line is built from."""

    parent: str  # resolved run folder, inside the runs root or the bundled samples
    rule: str
    budget: int
    seeds: int
    parallel: int = 1  # remedies trained side by side (each at every seed)


@dataclass(frozen=True)
class Job:
    id: str
    run_dir: str  # resolved folder inside the runs root the job writes into, known up front
    kind: str = "train"  # train | rerun | repair
    label: str = ""
    state: str = QUEUED
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    pid: int | None = None  # the job's process (trainers.job_runner), leader of its group
    proc_start: int | None = None  # /proc start time: tells our process from a reused pid
    returncode: int | None = None
    error: str = ""  # why it failed: English, a `Msg` when it has a key (worded in the UI's language)
    repair: RepairTask | None = None
    root: str = field(default="", compare=False, repr=False)  # the runs root; not stored

    @property
    def log_path(self) -> Path:
        return Path(self.run_dir) / LOG_FILE

    @property
    def status_path(self) -> Path:
        return Path(self.run_dir) / STATUS_FILE[self.kind]

    def entry_point(self) -> tuple[str, str, list[str]]:
        """(module, function, argv) the job's process calls: one of our own entry points, with
        arguments built here from checked fields."""
        module, function = ENTRY_POINT[self.kind]
        if self.kind == "repair":
            if self.repair is None:
                raise BadEntry("repair: no repair task (written by an older version)")
            r = self.repair
            return module, function, [r.parent, "--rule", r.rule, "--budget", str(r.budget),
                                      "--seeds", str(r.seeds), "--parallel", str(r.parallel),
                                      "--out", self.root]
        return module, function, [str(Path(self.run_dir) / CONFIG_FILE), self.run_dir]

    def _own_file(self, path: Path) -> Path | None:
        """`path` if it still resolves inside the runs root (a link planted since is refused)."""
        try:
            return confined(path, [self.root]) if self.root else None
        except OutsideRoot:
            return None

    def progress(self) -> dict[str, Any]:
        """The run's own status file (epoch/epochs, step/total_steps, ...), {} before it exists;
        a counter that is not a number >= 0 is left out (the file is data, pages divide by it)."""
        path = self._own_file(self.status_path)
        status = (read_json(path) or {}) if path is not None else {}
        return {k: v for k, v in status.items()
                if k not in _COUNTERS or (is_number(v) and v >= 0)}

    def fraction(self) -> float | None:
        """0..1 through the run (steps, else epochs), None when not known yet."""
        p = self.progress()
        for done, total in (("step", "total_steps"), ("epoch", "epochs")):
            d, n = p.get(done), p.get(total)
            if is_number(d) and is_number(n) and n > 0:
                return max(0.0, min(1.0, d / n))
        return None

    def log_tail(self, lines: int = 20) -> str:
        path = self._own_file(self.log_path)
        data = read_bytes(path, 16_384, tail=True) if path is not None else None
        return "\n".join((data or b"").decode("utf-8", "replace").splitlines()[-lines:])

    def to_dict(self) -> dict[str, Any]:
        """The entry: its fields, and an error's key and parameters beside its English."""
        d = asdict(self)
        del d["root"]
        d["error"] = str(self.error)
        said = to_json(self.error)
        if said is not None:
            d["error_key"], d["error_params"] = said["key"], said["params"]
        return d


def is_number(value: Any) -> bool:
    """A finite int or float, not a bool: what a counter or a time read from a file must be."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)|error|cannot)\b.*")


def error_line(log: str, *, any_line: bool = False) -> str:
    """The line of a job's log that says what went wrong: the last exception line (or, with
    `any_line`, the last line at all), never a warning or a traceback frame."""
    for line in reversed(log.splitlines()):
        line = line.strip()
        if not line or line.startswith(("Traceback", "File ", "^", "~")) or "Warning:" in line:
            continue
        if any_line or _EXCEPTION_LINE.match(line):
            return line[:300]
    return ""
