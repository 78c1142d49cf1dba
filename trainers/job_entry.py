"""The check a job registry entry must pass before the queue uses it (`job_from_entry`).

Trust model: a job file is data that someone else may have written or damaged. An entry is
accepted only when every field has its type and a sane range, its id is its file's name, its
run folder resolves (symlinks too) inside the runs root, and a repair's parent inside the runs
root or the bundled samples; otherwise `job_from_entry` raises BadEntry with a one-line reason
and the registry quarantines the file. Entries of earlier versions carry "module"/"args": they
pass only when the module is the one their kind runs, and their args are never used.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from diagnostics.messages import Msg, from_json
from diagnostics.messages_en import EN
from trainers.confine import BUNDLED_SAMPLES, OutsideRoot, confined
from trainers.job_record import JOB_ID, KINDS, LOG_FILE, STATUS_FILE, BadEntry, Job, RepairTask, is_number
from trainers.run_state import QUEUED, RUNNING, STATES, RunState

# What earlier versions stored as "module": an old entry passes only if it names this one.
LEGACY_MODULE = {"train": "trainers.jobs", "rerun": "trainers.jobs", "repair": "trainers.repair"}
REPAIRS_DIR = ".repairs"  # <root>/.repairs/<parent>.<rule>: an auto-repair's run folder
RULE_ID = re.compile(r"[a-z][a-z0-9_]{0,59}")
TIME_MAX = 1e10  # seconds since 1970: anything later is not a time we wrote
PID_MAX = 1 << 22  # Linux's largest possible pid_max
MAX_BUDGET, MAX_SEEDS, MAX_PARALLEL = 20, 5, 8
TEXT_MAX = 4000


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
        if not is_number(value) or not 0 <= value <= TIME_MAX:
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
