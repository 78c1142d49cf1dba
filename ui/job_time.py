"""How long a job has run and, while it runs, about how long it has left: from the times the
queue stamped (started, finished) and the run's own progress (steps done of total). Plain
arithmetic; no Streamlit here.
"""
from __future__ import annotations

import time

from trainers.jobs import RUNNING, Job


def elapsed(job: Job, now: float | None = None) -> float | None:
    """Seconds from start to end (or to now while it runs); None before it started."""
    if job.started is None:
        return None
    end = job.finished if job.finished is not None and job.state != RUNNING else now or time.time()
    return max(0.0, end - job.started)


def eta(job: Job, now: float | None = None, fraction: float | None = None) -> float | None:
    """Seconds left at the pace so far, for a running job past its first step; else None."""
    if job.state != RUNNING:
        return None
    done = job.fraction() if fraction is None else fraction
    spent = elapsed(job, now)
    if done is None or spent is None or not 0.0 < done < 1.0:
        return None
    return spent * (1.0 - done) / done


def duration(seconds: float) -> str:
    """4 s, 2 min 05 s, 1 h 20 min: units read the same in English and Chinese."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
