"""The inbox worker: threads that claim stored events and process them, so an acknowledged event is never lost.

Each row is claimed (a lease), handed to the processor, then finished. A database outage while processing keeps
the row with the worker, which tries the same row again when the database answers (processing is idempotent:
see `handle_message(inbox_id=...)`). Any other failure puts the row back for a later attempt, up to
MAX_ATTEMPTS; then it is kept as failed, with the error. `stop()` claims nothing new, lets the rows in hand
finish (or leaves them durable in the table for the next start), and returns.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as TimeoutError_

from bot.logs import log_context
from bot.service.deps import Deps
from bot.store import inbox
from bot.store.models import InboxItem

log = logging.getLogger(__name__)

Processor = Callable[[InboxItem], None]
MAX_ATTEMPTS = 5
POLL_SECONDS = 1.0  # how often an idle worker looks for rows another process stored or a retry that came due
OUTAGE_BACKOFF = (0.1, 0.25, 0.5, 1.0, 2.0)


SCHEMA_ERRORS = ("no such table", "no such column", "has no column named")  # SQLite reports these as operational


def is_outage(exc: SQLAlchemyError) -> bool:
    """The database is down or unreachable (worth waiting for), as opposed to a statement that fails by itself
    (a missing table is a broken schema, not an outage: waiting would not mend it)."""
    if isinstance(exc, OperationalError) and str(getattr(exc, "orig", "")).startswith(SCHEMA_ERRORS):
        return False
    return isinstance(exc, OperationalError | InterfaceError | TimeoutError_) or bool(
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def describe(exc: Exception) -> str:
    """A failure in a few words, for the log and the row: never a SQL statement or its parameters (message text)."""
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        return f"{type(exc).__name__}" + (f" ({type(orig).__name__})" if orig is not None else "")
    return f"{type(exc).__name__}: {exc}"[:300]


def retry_delay(attempts: int) -> timedelta:
    """Back off 2, 4, 8... seconds (at most a minute) between attempts at a failing row."""
    return timedelta(seconds=min(60, 2 ** max(1, attempts)))


class InboxWorker:
    def __init__(self, deps: Deps, process: Processor, threads: int = 4,
                 lease: timedelta = timedelta(minutes=5), batch: int = 4) -> None:
        self.deps = deps
        self.batch = batch
        self.process = process
        self.threads = threads
        self.lease = lease
        self.name = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._running: list[threading.Thread] = []
        self.processed = 0
        self._count_lock = threading.Lock()

    # ---- life cycle ----------------------------------------------------------------------------------------

    def recover(self) -> int:
        """At start on SQLite (one process): rows the previous process had claimed are claimable again at once."""
        if self.deps.engine.dialect.name != "sqlite":
            return 0
        with self.deps.writing() as s:
            released = inbox.release_claims(s)
        if released:
            log.info("inbox: %d rows left in progress by the previous run are pending again", released)
        return released

    def start(self) -> None:
        self.recover()
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"mirage-inbox-{n}", daemon=True)
            thread.start()
            self._running.append(thread)

    def stop(self, timeout: float = 20.0) -> bool:
        """Claim nothing more; wait up to `timeout` for rows in hand. True when every thread finished."""
        self._stop.set()
        self.deps.wake()
        for thread in self._running:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._running)

    # ---- work ----------------------------------------------------------------------------------------------

    def drain(self) -> int:
        """Process every claimable row in this thread until none is left (tests, and `mirage` one-shots)."""
        done = 0
        while True:
            rows = self._claim()
            if not rows:
                return done
            self._handle_batch(rows)
            done += len(rows)

    def _claim(self) -> list[InboxItem]:
        with self.deps.writing() as s:
            return inbox.claim(s, self.name, limit=self.batch, lease=self.lease)

    def _handle_batch(self, rows: list[InboxItem]) -> None:
        """Process claimed rows in order; the ones that succeeded are finished together in one transaction. Rows
        not started when the worker is told to stop are handed back at once (another process can take them)."""
        done: list[int] = []
        for n, row in enumerate(rows):
            if self._stop.is_set():
                self._hand_back([r.id for r in rows[n:] if r.id is not None])
                break
            if row.id is None:
                continue
            with log_context(workspace=row.workspace_id, channel=row.channel_id, event_id=row.event_id):
                if self._handle(row):
                    done.append(row.id)
        if done:
            self._finish(done)
            finished = datetime.now(UTC)
            for row in rows:
                if row.id in done:
                    received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)
                    self.deps.metrics.handled(row.kind, (finished - received).total_seconds())

    def _hand_back(self, row_ids: list[int]) -> None:
        try:
            with self.deps.writing() as s:
                inbox.unclaim(s, row_ids)
        except SQLAlchemyError:
            log.warning("inbox: %d claimed rows not handed back; the lease (or the next start) brings them back",
                        len(row_ids))

    def _loop(self) -> None:
        outages = 0
        while not self._stop.is_set():
            try:
                rows = self._claim()
            except SQLAlchemyError as exc:
                outages += 1
                log.warning("inbox: cannot claim (database unavailable: %s)", type(exc).__name__)
                self._stop.wait(OUTAGE_BACKOFF[min(outages, len(OUTAGE_BACKOFF)) - 1])
                continue
            outages = 0
            if not rows:
                self.deps.inbox_signal.wait(POLL_SECONDS)
                self.deps.inbox_signal.clear()
                continue
            self._handle_batch(rows)

    def _handle(self, row: InboxItem) -> bool:
        """Process one claimed row: True when it succeeded (to be finished); False when it went back to the queue,
        failed for good, or stays claimed because the worker is stopping."""
        assert row.id is not None
        outages = 0
        while True:
            try:
                self.process(row)
                with self._count_lock:
                    self.processed += 1
                return True
            except SQLAlchemyError as exc:
                if not is_outage(exc):
                    self._retry_or_fail(row, exc)  # a statement that fails by itself: retrying in place won't help
                    return False
                # The database went away mid-row: keep the row and try it again when it answers (idempotent).
                outages += 1
                log.warning("inbox row %s: database unavailable (%s); retrying", row.id, type(exc).__name__)
                if self._stop.wait(OUTAGE_BACKOFF[min(outages, len(OUTAGE_BACKOFF)) - 1]):
                    return False  # stopping: the row stays claimed in the table, picked up after the lease / start
            except Exception as exc:  # noqa: BLE001 - any processing failure is kept on the row, never crashes
                self._retry_or_fail(row, exc)
                return False

    def _finish(self, row_ids: list[int]) -> None:
        outages = 0
        while True:
            try:
                with self.deps.writing() as s:
                    inbox.finish_many(s, row_ids)
                return
            except SQLAlchemyError:
                outages += 1
                if self._stop.wait(OUTAGE_BACKOFF[min(outages, len(OUTAGE_BACKOFF)) - 1]):
                    return

    def _retry_or_fail(self, row: InboxItem, exc: Exception) -> None:
        assert row.id is not None
        reason = describe(exc)
        try:
            with self.deps.writing() as s:
                if row.attempts >= MAX_ATTEMPTS:
                    self.deps.metrics.inbox_errors.labels("failed").inc()
                    log.error("inbox row %s (%s) failed %d times, kept as failed: %s", row.id, row.kind,
                              row.attempts, reason)
                    inbox.finish(s, row.id, error=reason)
                else:
                    self.deps.metrics.inbox_errors.labels("retry").inc()
                    # the first failure carries its traceback (the log formatter keeps SQL parameters out of it)
                    log.warning("inbox row %s (%s) attempt %d failed, retried later: %s", row.id, row.kind,
                                row.attempts, reason, exc_info=exc if row.attempts <= 1 else None)
                    inbox.retry_later(s, row.id, retry_delay(row.attempts), reason)
        except SQLAlchemyError:
            log.warning("inbox row %s: could not record the failure; the lease brings it back", row.id)
