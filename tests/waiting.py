"""Tests wait on the event they need, never on the clock.

`until` looks at a condition (a status.json state, a registry entry, a Ray resource) and returns
the moment it holds: first every few milliseconds, then less and less often, at most every
`most` seconds (a look at the registry reads and checks every job file: ~4 ms of the CPU the
jobs train with, on 2 cores). Its timeout is generous, paid only by a failing test. A process's
end is an event of its own: `trainers.job_process.wait_for_exit` (a pidfd).
"""
from __future__ import annotations

import time
from typing import Callable


def until(condition: Callable[[], object], timeout: float = 30.0, what: str = "the condition",
          every: float = 0.02, most: float = 0.2) -> None:
    """Return as soon as `condition()` is true, looking every `every` seconds at first, 1.5x
    longer after each look, up to `most`; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(every)
        every = min(every * 1.5, max(most, every))
