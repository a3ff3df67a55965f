"""IncidentWriter: records incidents, and keeps them in a bounded in-memory queue while the database is down.

Queued incidents are written, in order, by the next flush() (or before the next write). Because incidents are
deduplicated on event_id, a retry after an ambiguous failure never stores one twice. When the queue is full the
oldest entry is spilled to a JSON-lines file (or, without one, logged at ERROR level with its full content):
nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.store.engine import session_scope
from bot.store.models import Incident
from bot.store.queries import NewIncident, record_incident

log = logging.getLogger("mirage.store.writer")


def _is_outage(exc: DBAPIError) -> bool:
    """A database that is down or unreachable (worth retrying), as opposed to a bad statement."""
    return isinstance(exc, OperationalError | InterfaceError) or bool(exc.connection_invalidated)


def incident_to_json(new: NewIncident) -> str:
    record: dict[str, Any] = asdict(new)
    record["triggers"] = list(new.triggers)
    record["created_at"] = new.created_at.isoformat()
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def incident_from_json(line: str) -> NewIncident:
    record = json.loads(line)
    known = {f.name for f in fields(NewIncident)}
    record = {k: v for k, v in record.items() if k in known}
    record["created_at"] = datetime.fromisoformat(record["created_at"])
    record["triggers"] = tuple(record.get("triggers", ()))
    return NewIncident(**record)


def read_spill(path: Path) -> list[NewIncident]:
    """The incidents spilled to `path`, oldest first (to write them back once the database is up)."""
    if not path.exists():
        return []
    return [incident_from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def default_spill_path(engine: Engine) -> Path | None:
    """Next to the SQLite database file (`mirage.db.spill.jsonl`); None for other databases (log instead)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".spill.jsonl")
    return None


class IncidentWriter:
    """Writes incidents through to the database; queues up to `max_queue` of them while it is unreachable."""

    def __init__(self, engine: Engine, max_queue: int, spill_path: Path | None = None) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1; got {max_queue}")
        self.engine = engine
        self.max_queue = max_queue
        self.spill_path = spill_path if spill_path is not None else default_spill_path(engine)
        self._queue: deque[NewIncident] = deque()
        self._lock = threading.Lock()
        self.spilled = 0

    @property
    def pending(self) -> int:
        """How many incidents wait in the queue."""
        return len(self._queue)

    def write(self, new: NewIncident) -> Incident | None:
        """Store `new` (after anything still queued); None when the database is down and it was queued instead."""
        recorded = self.record(new)
        return None if recorded is None else recorded[0]

    def record(self, new: NewIncident) -> tuple[Incident, bool] | None:
        """Like write(), but also says whether the incident is new (False: its event_id was already stored)."""
        with self._lock:
            self._flush_locked()
            if self._queue:
                self._enqueue(new)
                return None
            try:
                return self._store(new)
            except DBAPIError as exc:
                if not _is_outage(exc):
                    raise
                log.warning("database unavailable, queued incident %s (%d pending): %s",
                            new.event_id, len(self._queue) + 1, exc.orig or exc)
                self._enqueue(new)
                return None

    def flush(self) -> int:
        """Write queued incidents in order until the queue is empty or the database fails again; how many written."""
        with self._lock:
            return self._flush_locked()

    def _store(self, new: NewIncident) -> tuple[Incident, bool]:
        with session_scope(self.engine) as s:
            return record_incident(s, new)

    def _flush_locked(self) -> int:
        written = 0
        while self._queue:
            try:
                self._store(self._queue[0])
            except DBAPIError as exc:
                if not _is_outage(exc):
                    raise
                if written:
                    log.warning("database failed again after %d queued writes; %d pending", written, len(self._queue))
                return written
            self._queue.popleft()
            written += 1
        if written:
            log.info("wrote %d queued incidents", written)
        return written

    def _enqueue(self, new: NewIncident) -> None:
        if len(self._queue) >= self.max_queue:
            self._spill(self._queue.popleft())
        self._queue.append(new)

    def _spill(self, oldest: NewIncident) -> None:
        line = incident_to_json(oldest)
        self.spilled += 1
        if self.spill_path is not None:
            try:
                with self.spill_path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
                log.error("retry queue full (%d): spilled incident %s to %s", self.max_queue, oldest.event_id,
                          self.spill_path)
                return
            except OSError as exc:
                log.error("cannot spill to %s: %s", self.spill_path, exc)
        log.error("retry queue full (%d), incident not stored, record follows: %s", self.max_queue, line)
