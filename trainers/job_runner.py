"""The process a background job runs in: `python -m trainers.job_runner ROOT JOB_ID SLOT_FD`.

Trust model: the job's entry file is data, so the runner does not read what to run from it.
The queue that started it hands over the entry it checked (`trainers.job_entry`) in the
RUN_DOCTOR_JOB environment variable; the runner checks it once more and calls one of our own
entry points (the trainer's `trainers.train_job.main` or `trainers.repair.main`: `ENTRY_POINT`
in `job_record` is code, not data) with the arguments `Job.entry_point()` builds from checked
fields. Nothing is imported or run by a name taken from a file, and a file damaged after the
start changes nothing about what runs.

It calls the entry point in this same process (so the job's pid is the trainer's, and cancel's
SIGTERM reaches the trainer's own handler) while holding its run slot (SLOT_FD, inherited),
then lets the slot go and hands off: it settles its own job, with the real error line when it
failed, and starts the next queued jobs. A job killed outright (kill -9, OOM) cannot hand off:
the watcher started beside it (`trainers.job_watch`) pumps the queue instead.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from dataclasses import replace

from diagnostics.messages import Msg, as_msg
from trainers.job_entry import job_from_entry
from trainers.job_process import JOB_ENV, proc_start
from trainers.job_record import RUNNING, error_line
from trainers.jobs import JobQueue
from trainers.quick_exit import exit_quickly


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


def _error(exc: BaseException) -> str:
    """The exception as one line of at most 300 characters: "<type>: <what it says>", a `Msg`
    (worded in the UI's language) when it was raised with one and fits."""
    line = (f"{type(exc).__name__}: {exc}".strip().splitlines() or [""])[0][:300]
    msg = as_msg(exc)
    said = Msg("job.exception", type=type(exc).__name__, error=msg) if msg is not None else None
    return said if said is not None and said == line else line


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not argv[2].isdigit():
        print("usage: python -m trainers.job_runner ROOT JOB_ID SLOT_FD", file=sys.stderr)
        return 2
    slot = int(argv[2])
    queue = JobQueue(argv[0])
    try:
        job = job_from_entry(json.loads(os.environ.pop(JOB_ENV, "")), argv[1], queue.root)
    except ValueError as e:  # BadEntry, or no/garbled hand-over: not started by our queue
        print(f"job {argv[1]}: nothing run ({e})", file=sys.stderr)
        return 2
    job = replace(job, state=RUNNING, pid=os.getpid(), proc_start=proc_start(os.getpid()))
    module, function, args = job.entry_point()
    code, error = 0, ""
    try:
        code = _exit_code(getattr(importlib.import_module(module), function)(args))
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException as exc:  # noqa: BLE001 - its crash goes to its log; the queue goes on
        traceback.print_exc()
        code = 1
        error = _error(exc)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        if code and not error:  # e.g. exit 2 after a one-line "error: ..." on stderr
            error = error_line(job.log_tail(40), any_line=True)
        os.close(slot)  # before the hand-off, so the next job can take this slot
        queue.hand_off(job, code, error)
    return code


if __name__ == "__main__":
    exit_quickly(main(sys.argv[1:]))
