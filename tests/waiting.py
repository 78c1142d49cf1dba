"""Tests wait on the event they need, never on the clock.

`until` looks at a condition (a status.json state, a registry entry, a Ray resource) every few
milliseconds and returns the moment it holds; its timeout is generous, paid only by a failing
test. A process's end is an event of its own: `trainers.job_process.wait_for_exit` (a pidfd).
"""
from __future__ import annotations

import time
from typing import Callable


def until(condition: Callable[[], object], timeout: float = 30.0, what: str = "the condition",
          every: float = 0.02) -> None:
    """Return as soon as `condition()` is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(every)
