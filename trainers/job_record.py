"""One background job as the registry stores it (`<root>/.jobs/<id>.json`), and the check an
entry must pass before the queue uses it.

Trust model: a job file is data that someone else may have written or damaged. It never says
what to run: a job is one of our own kinds, "train"/"rerun" (our trainer on
`<run_dir>/job-config.json`) or "repair" (auto-repair of a parent run), and `entry_point()`
builds the command line from checked fields. `job_from_entry()` accepts an entry only when every
field has its type and a sane range, its id is its file's name, its run folder resolves
(symlinks too) inside the runs root, and a repair's parent inside the runs root or the bundled
samples; otherwise it raises BadEntry with a one-line reason and the registry quarantines the
file. Entries of earlier versions carry "module"/"args": they pass only when the module is the
one their kind runs, and their args are never used. The job's own files (log, status) are read
through `trainers.confine`, so a planted symlink in its run folder shows nothing from elsewhere.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from diagnostics.messages import Msg, from_json, to_json
from diagnostics.messages_en import EN
from trainers.confine import BUNDLED_SAMPLES, OutsideRoot, confined, read_bytes, read_json
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
# What earlier versions stored as "module": an old entry passes only if it names this one.
LEGACY_MODULE = {"train": "trainers.jobs", "rerun": "trainers.jobs", "repair": "trainers.repair"}
STATUS_FILE = {"train": "status.json", "rerun": "status.json", "repair": "repair.json"}
LOG_FILE = "job.log"
CONFIG_FILE = "job-config.json"  # a train job's input; the trainer writes config.json itself
REPAIRS_DIR = ".repairs"  # <root>/.repairs/<parent>.<rule>: an auto-repair's run folder

JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
RULE_ID = re.compile(r"[a-z][a-z0-9_]{0,59}")
TIME_MAX = 1e10  # seconds since 1970: anything later is not a time we wrote
PID_MAX = 1 << 22  # Linux's largest possible pid_max
MAX_BUDGET, MAX_SEEDS, MAX_PARALLEL = 20, 5, 8
TEXT_MAX = 4000
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
                if k not in _COUNTERS or (_number(v) and v >= 0)}

    def fraction(self) -> float | None:
        """0..1 through the run (steps, else epochs), None when not known yet."""
        p = self.progress()
        for done, total in (("step", "total_steps"), ("epoch", "epochs")):
            d, n = p.get(done), p.get(total)
            if _number(d) and _number(n) and n > 0:
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


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Checked:
    """Reads fields of one entry, raising BadEntry("field: problem, got value") on the first
    bad one."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data, self.prefix = data, prefix

    def _bad(self, key: str, problem: str) -> BadEntry:
        got = f", got {_shown(self.data[key])}" if key in self.data else ""
        return BadEntry(f"{self.prefix}{key}: {problem}{got}")

    def text(self, key: str, *, default: str | None = None, pattern: re.Pattern[str] | None = None,
             limit: int = TEXT_MAX) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise BadEntry(f"{self.prefix}{key}: missing")
        if not isinstance(value, str) or len(value) > limit or "\0" in value:
            raise self._bad(key, f"expected a text of at most {limit} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise self._bad(key, f"expected {pattern.pattern}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise BadEntry(f"{self.prefix}{key}: missing")
        if value not in options or not isinstance(value, str):
            raise self._bad(key, f"expected one of {', '.join(options)}")
        return value

    def integer(self, key: str, lo: int, hi: int, *, required: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise self._bad(key, f"expected an integer in [{lo}, {hi}]")
        return value

    def time(self, key: str, *, required: bool = False) -> float | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not _number(value) or not 0 <= value <= TIME_MAX:
            raise self._bad(key, "expected a time (seconds since 1970)")
        return float(value)


def job_from_entry(data: Any, name: str, root: Path) -> Job:
    """The job an entry describes, every field checked (see the module docstring), or BadEntry.
    `name` is the entry's file name without ".json"; `root` the resolved runs root."""
    if not isinstance(data, dict):
        raise BadEntry("not a JSON object")
    f = _Checked(data)
    job_id = f.text("id", pattern=JOB_ID)
    if job_id != name:
        raise BadEntry(f"id: {_shown(job_id)} is not the file's name ({name}.json)")
    kind = f.choice("kind", KINDS)
    state = f.choice("state", STATES)
    _legacy_fields(f, kind)
    run_dir = _run_dir(data.get("run_dir"), kind, root)
    repair = _repair_task(data.get("repair"), kind, state, root)
    return Job(id=job_id, run_dir=str(run_dir), kind=kind, label=f.text("label", default=""),
               state=RunState(state), created=f.time("created", required=True),
               started=f.time("started"),
               finished=f.time("finished"), pid=f.integer("pid", 1, PID_MAX),
               proc_start=f.integer("proc_start", 0, 1 << 62),
               returncode=f.integer("returncode", -255, 255),
               error=_error(f), repair=repair, root=str(root))


def _error(f: _Checked) -> str:
    """The entry's error: the message its "error_key" and "error_params" say when they are one
    of ours (a key of `messages_en.EN`, plain parameters, at most TEXT_MAX characters); else its
    "error" text as it is."""
    text = f.text("error", default="")
    if "error_key" not in f.data:
        return text
    try:
        said = from_json({"key": f.data["error_key"], "params": f.data.get("error_params")}, keys=EN)
    except ValueError:
        return text
    return said if isinstance(said, Msg) and len(said) <= TEXT_MAX else text


def _legacy_fields(f: _Checked, kind: str) -> None:
    """Fields of earlier versions: accepted only when they say what this version would do."""
    data = f.data
    if "module" in data and data["module"] != LEGACY_MODULE[kind]:
        raise BadEntry(f"module: the queue runs only Run Doctor's own trainer, got "
                       f"{_shown(data['module'])}")
    if "args" in data and not (isinstance(data["args"], list)
                               and all(isinstance(a, str) for a in data["args"])):
        raise f._bad("args", "expected a list of texts")
    for key, expected in (("status_file", STATUS_FILE[kind]), ("log_file", LOG_FILE)):
        if key in data and data[key] != expected:
            raise f._bad(key, f"must be {expected!r}")


def _run_dir(value: Any, kind: str, root: Path) -> Path:
    if value is None:
        raise BadEntry("run_dir: missing")
    try:
        run_dir = confined(value, [root]) if isinstance(value, str) else None
    except OutsideRoot as e:
        raise BadEntry(f"run_dir: {e}") from None
    if run_dir is None or run_dir == root:
        raise BadEntry(f"run_dir: expected a folder inside the runs root, got {_shown(value)}")
    if run_dir.is_relative_to(root / ".jobs"):
        raise BadEntry("run_dir: inside the job registry (.jobs)")
    if kind == "repair" and not run_dir.is_relative_to(root / REPAIRS_DIR):
        raise BadEntry(f"run_dir: a repair writes only under {REPAIRS_DIR}/")
    return run_dir


def _repair_task(value: Any, kind: str, state: str, root: Path) -> RepairTask | None:
    if kind != "repair":
        if value is not None:
            raise BadEntry(f"repair: only a repair job has one (this is a {kind} job)")
        return None
    if value is None:
        if state in (QUEUED, RUNNING):  # finished ones are history: nothing will run them
            raise BadEntry("repair: missing (written by an older version: submit it again)")
        return None
    if not isinstance(value, dict):
        raise BadEntry(f"repair: expected an object, got {_shown(value)}")
    f = _Checked(value, "repair.")
    parent = f.text("parent")
    try:
        parent = str(confined(parent, [root, BUNDLED_SAMPLES]))
    except OutsideRoot as e:
        raise BadEntry(f"repair.parent: {e}") from None
    return RepairTask(parent=parent, rule=f.text("rule", pattern=RULE_ID),
                      budget=f.integer("budget", 1, MAX_BUDGET, required=True),
                      seeds=f.integer("seeds", 1, MAX_SEEDS, required=True),
                      parallel=f.integer("parallel", 1, MAX_PARALLEL) or 1)


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
