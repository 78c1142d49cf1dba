"""Training into a folder chosen before the process starts: what a train or re-run job runs.

    python -m trainers.train_job CONFIG.json RUN_DIR

A job must know its run folder up front (lineage.json and job.log are already in it, and the UI
shows it while it trains), so the trainer is pointed at that folder rather than making one.
The job queue calls `main` from its own job process (`trainers.job_runner`) with arguments it
built itself: the folder's `job-config.json` and the folder. With RUN_DOCTOR_EXECUTOR=ray the
training is a Ray task and this process waits for it (`trainers.executor`).
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any


def train_into(config: Any, run_dir: str | os.PathLike[str], *, progress: bool = True) -> Any:
    """Train a `TrainConfig` into `run_dir` (it may already hold lineage.json and job.log)."""
    from trainers.loop import train

    run_dir = Path(run_dir)
    return train(config, run_dir.parent, progress=progress, run_dir=run_dir)


def main(argv: list[str]) -> int:
    """Train CONFIG.json into RUN_DIR (already created)."""
    if len(argv) != 2:
        print("usage: python -m trainers.train_job CONFIG.json RUN_DIR", file=sys.stderr)
        return 2
    from diagnostics.messages import Msg
    from trainers.config import TrainConfig
    from trainers.confine import read_bytes

    data = read_bytes(argv[0])  # no symlink followed: the folder is shared storage
    if data is None:
        raise FileNotFoundError(Msg("job.config_unreadable", path=argv[0]))
    config = TrainConfig.from_json(data.decode("utf-8"))
    from trainers.executor import TrainSpec, get_executor

    executor = get_executor()  # RUN_DOCTOR_EXECUTOR, handed down by whoever started the queue
    if executor.name == "local":
        # cancel() sends SIGTERM: as SystemExit the trainer records "stopped" in status.json.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        result = train_into(config, argv[1], progress=False)
        print(result.run_dir)
        return 0
    # Elsewhere (a Ray task): this process waits for it; cancel's SIGTERM cancels the task.
    executor.connect()  # ray.init replaces the SIGTERM handler: ours goes after it
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    [outcome] = executor.run([TrainSpec(config, Path(argv[1]).resolve())])
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    print(outcome.run_dir)
    return 0


if __name__ == "__main__":
    from trainers.quick_exit import exit_quickly

    exit_quickly(main(sys.argv[1:]))
