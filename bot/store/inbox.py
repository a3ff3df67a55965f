"""The inbox: Slack events stored before they are acknowledged, then claimed and processed from the table.

PostgreSQL: several workers (threads and processes) claim rows with `SELECT ... FOR UPDATE SKIP LOCKED`.
SQLite: one process; its threads claim under the bot's write lock (see `Deps.writing`). A claim is a lease: a row
left `working` by a process that died is claimable again once `lease` has passed (and at once, on SQLite, when the
single process starts again: `release_claims`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.store.models import INBOX_KINDS, InboxItem

MAX_ERROR = 1000
NOTIFY_CHANNEL = "mirage_inbox"  # PostgreSQL: NOTIFY'd when a row to work on is stored (workers LISTEN; bot.runtime)
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")
TABLE = InboxItem.__table__  # type: ignore[attr-defined]


def _now() -> datetime:
    return datetime.now(UTC)


def message_key(workspace_id: str, channel_id: str, ts: str) -> str:
    """A message's identity across live events, Slack retries, second event ids and replay."""
    return f"{workspace_id}:{channel_id}:{ts}"


@dataclass(frozen=True, slots=True)
class NewItem:
    event_id: str
    kind: str
    workspace_id: str
    channel_id: str
    payload: str
    message_key: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in INBOX_KINDS:
            raise ValueError(f"kind must be one of {', '.join(INBOX_KINDS)}; got {self.kind!r}")
        if not self.event_id:
            raise ValueError("event_id must not be empty")


@functools.cache
def _accept_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect (so its compiled form is cached)."""
    insert = postgresql.insert(TABLE) if dialect == "postgresql" else sqlite.insert(TABLE)
    # RETURNING says whether a row went in (rowcount is not reliable for INSERT ... ON CONFLICT on every driver)
    return insert.on_conflict_do_nothing().returning(TABLE.c.id)


def accept(s: Session, item: NewItem, done: bool = False) -> bool:
    """Store `item` unless its event id or message key is already there; True when it was new. `done`: its effect
    is stored in the same transaction by the caller, so the row goes in finished, without payload. On PostgreSQL a
    new row to work on also NOTIFYs NOTIFY_CHANNEL (delivered at commit), so idle workers elsewhere wake at once."""
    now = _now()
    values = {"event_id": item.event_id, "message_key": item.message_key, "kind": item.kind,
              "workspace_id": item.workspace_id, "channel_id": item.channel_id,
              "payload": None if done else item.payload, "state": "done" if done else "pending", "applied": done,
              "attempts": 0, "received_at": now, "available_at": now, "finished_at": now if done else None}
    connection = s.connection()
    stored = connection.execute(_accept_statement(connection.dialect.name), values).first() is not None
    if stored and not done and connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY)
    return stored


def claim(s: Session, worker: str, limit: int = 1, lease: timedelta = timedelta(minutes=5)) -> list[InboxItem]:
    """Claim up to `limit` rows, oldest first, for `worker`; they are `working` when the transaction commits.

    Two index-friendly queries (ix_inbox_state_available): due pending rows, then rows whose claim has expired.
    """
    now = _now()
    postgres = s.get_bind().dialect.name == "postgresql"
    rows: list[InboxItem] = []
    for due in (and_(col(InboxItem.state) == "pending", col(InboxItem.available_at) <= now),
                and_(col(InboxItem.state) == "working", col(InboxItem.claimed_at) < now - lease)):
        if len(rows) >= limit:
            break
        # index order (state, available_at): no sort, however long the backlog; id breaks ties in arrival order
        query = (select(InboxItem).where(due).order_by(col(InboxItem.available_at), col(InboxItem.id))
                 .limit(limit - len(rows)))
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows += list(s.scalars(query))
    if rows:
        s.execute(update(TABLE).where(TABLE.c.id.in_([r.id for r in rows]))
                  .values(state="working", claimed_at=now, claimed_by=worker, attempts=TABLE.c.attempts + 1))
    for row in rows:  # the same values on the objects handed out (not flushed again)
        s.expunge(row)
        row.state, row.claimed_at, row.claimed_by, row.attempts = "working", now, worker, row.attempts + 1
    return rows


_MARK_APPLIED = update(TABLE).where(TABLE.c.id == bindparam("item_id"), TABLE.c.applied.is_(False)).values(
    applied=True)


def mark_applied(s: Session, item_id: int) -> bool:
    """Record, inside the transaction that stores a message's effect, that the effect is stored. True the first
    time for this row; False when an earlier attempt already stored it (then store nothing again)."""
    return bool(s.connection().execute(_MARK_APPLIED, {"item_id": item_id}).rowcount)


def finish(s: Session, item_id: int, error: str | None = None) -> None:
    """The row is done (or, with `error`, failed for good); its payload (message text) is dropped."""
    s.execute(
        update(TABLE)
        .where(TABLE.c.id == item_id)
        .values(state="failed" if error else "done", finished_at=_now(), payload=None,
                error=error[:MAX_ERROR] if error else None)
    )


def finish_many(s: Session, item_ids: list[int]) -> None:
    """`finish` for several rows at once (done)."""
    if item_ids:
        s.execute(
            update(TABLE)
            .where(TABLE.c.id.in_(item_ids))
            .values(state="done", finished_at=_now(), payload=None, error=None)
        )


def retry_later(s: Session, item_id: int, delay: timedelta, error: str) -> None:
    """Put a claimed row back, claimable again after `delay`."""
    s.execute(
        update(TABLE)
        .where(TABLE.c.id == item_id)
        .values(state="pending", available_at=_now() + delay, claimed_at=None, claimed_by=None,
                error=error[:MAX_ERROR])
    )


def unclaim(s: Session, item_ids: list[int]) -> None:
    """Hand claimed rows back untouched (a worker stopping before it started them)."""
    if item_ids:
        s.execute(update(TABLE).where(TABLE.c.id.in_(item_ids), TABLE.c.state == "working")
                  .values(state="pending", claimed_at=None, claimed_by=None, attempts=TABLE.c.attempts - 1))


def release_claims(s: Session) -> int:
    """Every `working` row back to `pending` (SQLite at start: the one process that claimed them is gone)."""
    result = s.execute(
        update(TABLE).where(TABLE.c.state == "working").values(state="pending", claimed_at=None,
                                                                           claimed_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def counts(s: Session) -> dict[str, int]:
    """Rows per state."""
    rows = s.execute(select(col(InboxItem.state), func.count()).group_by(col(InboxItem.state))).all()
    return {state: int(n) for state, n in rows}


def next_available(s: Session) -> datetime | None:
    """When the next pending row becomes claimable (None: nothing pending)."""
    found: datetime | None = s.scalar(
        select(func.min(InboxItem.available_at)).where(col(InboxItem.state) == "pending")
    )
    return None if found is None else (found.replace(tzinfo=UTC) if found.tzinfo is None else found)


def purge_finished(s: Session, before: datetime) -> int:
    """Delete done and failed rows finished before `before`."""
    result = s.execute(
        delete(InboxItem).where(col(InboxItem.state).in_(("done", "failed")), col(InboxItem.finished_at) < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


UNFINISHED = ("pending", "working", "failed")


def backlog(s: Session, now: datetime | None = None) -> tuple[dict[str, int], float]:
    """Rows per unfinished state (pending, working, failed) and the age in seconds of the oldest pending row (0
    when none): two queries on the (state, available_at) index, which never read the done rows."""
    states = s.execute(select(col(InboxItem.state), func.count()).where(col(InboxItem.state).in_(UNFINISHED))
                       .group_by(col(InboxItem.state))).all()
    found = {state: int(n) for state, n in states}
    oldest: datetime | None = s.scalar(select(func.min(InboxItem.received_at)).where(col(InboxItem.state) == "pending"))
    if oldest is None:
        return found, 0.0
    oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest
    return found, max(0.0, ((now or _now()) - oldest).total_seconds())


def drop_workspace(s: Session, workspace_id: str, reason: str) -> int:
    """Pending rows of a workspace that removed Mirage, finished unprocessed: their payload (message text) is
    dropped and `reason` kept. Rows a worker holds right now are left to it (it finds no installation)."""
    result = s.execute(
        update(TABLE)
        .where(TABLE.c.workspace_id == workspace_id, TABLE.c.state == "pending")
        .values(state="done", finished_at=_now(), payload=None, error=reason[:MAX_ERROR])
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending_count(s: Session, up_to: int) -> int:
    """Pending rows, counted up to `up_to` (a bounded count: readiness must stay cheap under any backlog)."""
    due = select(TABLE.c.id).where(TABLE.c.state == "pending").limit(up_to).subquery()
    return int(s.scalar(select(func.count()).select_from(due)) or 0)
