"""`python -m trainers.job_watch ROOT PID`: wait for one job's process to end, then pump the queue.

A job hands off to the next queued job as it ends (`trainers.job_runner`), but a job killed
outright (kill -9, the OOM killer) cannot, and with no page open nobody else would poll: the
queue would wait forever. So every job's process is started with one of these beside it, in a
session of its own (killing the job's process group spares it). It blocks on the job's pid (a
pidfd: an event, no timer), then calls `JobQueue.poll()` once, which settles the dead job and
starts the next one (with its own watcher), and exits. It reads nothing from the registry that
the poll does not check. ROOT and PID come from the process that started the job, not from a file.
"""
from __future__ import annotations

import sys
from pathlib import Path

from trainers.job_process import wait_for_exit
from trainers.jobs import JobQueue


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m trainers.job_watch ROOT PID", file=sys.stderr)
        return 2
    wait_for_exit(int(argv[1]))
    if (Path(argv[0]) / ".jobs").is_dir():  # a runs root deleted meanwhile is not made again
        JobQueue(argv[0]).poll()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
