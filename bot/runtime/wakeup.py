"""PostgreSQL LISTEN for the worker role: a web process in another process NOTIFYs when it stores a row to work on
(bot.store.inbox.accept), and this wakes the idle worker threads at once instead of at their next poll.

Only an accelerator: the workers still poll every POLL_SECONDS, so a lost connection or a missed notification
costs latency, never a row. The listener reconnects with a back-off while the database is away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine

from bot.store.inbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
BACKOFF = (0.5, 1.0, 2.0, 5.0)


class RowListener:
    """A daemon thread LISTENing on NOTIFY_CHANNEL over its own connection (outside the engine's pool)."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mirage-inbox-listen", daemon=True)
        self.connected = threading.Event()  # set while LISTENing (tests wait on it)

    def start(self) -> RowListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.connected.set()
                    failures = 0
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._wake()
            except psycopg.Error as exc:
                self.connected.clear()
                failures += 1
                if failures == 1:
                    log.warning("inbox: not listening for new rows (%s); polling only until the database answers",
                                type(exc).__name__)
                self._stop.wait(BACKOFF[min(failures, len(BACKOFF)) - 1])
        self.connected.clear()
