"""Bounded waits on a condition (for the bench's processes and the tests' subprocesses): never a bare sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float, pause: float = 0.1) -> bool:
    """True as soon as `condition()` is truthy, False once `timeout` seconds have passed without it."""
    deadline = time.monotonic() + timeout
    waiting = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        waiting.wait(pause)
    return True
