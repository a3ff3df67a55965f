"""Slack's posting limit: about one message per second per channel. `ChannelPace` spaces the messages one process
posts in a channel at least CHANNEL_POST_INTERVAL_SECONDS apart, across all the worker threads that share it.

Each caller reserves the channel's next free slot under a lock, then waits for it outside the lock, so threads
posting in other channels never wait, and a burst in one channel goes out one message per interval, in order of
reservation. Several processes each keep their own pace (see the README); Slack's 429 answers, with Retry-After,
are honoured by the Web API client's retry handler beyond that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

FORGET_AFTER = 600.0  # seconds; a channel idle this long is dropped from the table (it would not wait anyway)


class ChannelPace:
    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep or threading.Event().wait
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, channel: str) -> float:
        """Take the channel's next slot; the seconds to wait before posting (0: post now)."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
            if len(self._next) > 10_000:
                self._next = {c: t for c, t in self._next.items() if t > now - FORGET_AFTER}
            return slot - now

    def wait(self, channel: str) -> None:
        """Block until this thread may post in `channel`."""
        delay = self.reserve(channel)
        if delay > 0:
            self._sleep(delay)

    __call__ = wait
