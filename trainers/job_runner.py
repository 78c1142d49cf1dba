"""The process a background job runs in: `python -m trainers.job_runner ROOT JOB_ID`.

It runs the job's module as `__main__` in this same process (so the job's pid is the
trainer's, and cancel's SIGTERM reaches the trainer's own handler), then hands off: it settles
its own job from what the run folder says and starts the next queued jobs. So a queue keeps
draining with no UI page open and no CLI polling. Only a job killed outright (kill -9, OOM,
reboot) cannot hand off; the next `JobQueue.poll()` from anyone settles it and moves on.
"""
from __future__ import annotations

import runpy
import sys
import traceback

from trainers.jobs import JobQueue


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m trainers.job_runner ROOT JOB_ID", file=sys.stderr)
        return 2
    queue = JobQueue(argv[0])
    job = queue.get(argv[1])
    sys.argv = [job.module, *job.args]
    code = 0
    try:
        runpy.run_module(job.module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # noqa: BLE001 - the job's crash goes to its log; the queue goes on
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        queue.hand_off(job.id, code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
