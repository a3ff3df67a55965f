"""Write a replay into the store in batches, so that running the same replay twice stores nothing twice.

Incidents: one `replay:{channel_id}:{ts}` event id per message. The ids already stored are looked up once per batch
and skipped; the rest are inserted in bulk with ON CONFLICT (event_id) DO NOTHING, so a concurrent writer of the
same event cannot make the batch fail. Rows are built with `NewIncident.to_row()`, exactly as `record_incident`
stores them (a bulk twin of it, for speed: one statement per 500 incidents instead of a SELECT + SAVEPOINT each).

Daily balance: the export is the complete record of a channel's day, so the replay *sets* each (channel, UTC day) to
what the export holds instead of adding to it. Existing counters (from an earlier replay, or from the live bot that
saw part of that day) are read first and only the shortfall is added, with the same increment-or-insert upsert as
`add_daily_balance` run as a batch, field by field: the row ends up at max(stored, replayed). A second replay of
the same export finds nothing short and writes nothing; a replay that overlaps days the live bot counted does not
count those messages twice. A channel's days are written only once the whole channel has been read (a UTC day can
span two day files), so an interrupted replay never leaves a half-counted day that a re-run would then skip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.store.balance import add_daily_balances
from bot.store.engine import session_scope
from bot.store.incidents import NewIncident
from bot.store.models import DailyBalance, Incident

LOOKUP_CHUNK = 500
INCIDENT_COLUMNS = tuple(c for c in Incident.model_fields if c != "id")
T = TypeVar("T")


@dataclass(slots=True)
class DayCounts:
    messages: int = 0
    benchmark: int = 0
    user_outcome: int = 0


@dataclass(frozen=True, slots=True)
class Written:
    stored: int = 0
    already_stored: int = 0
    balance_days: int = 0


def _chunks(items: list[T], size: int = LOOKUP_CHUNK) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_event_ids(s: Session, event_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(event_ids):
        found.update(s.exec(select(Incident.event_id).where(col(Incident.event_id).in_(chunk))).all())
    return found


def _insert(s: Session, table: Any) -> Any:
    """An INSERT for `table` in the session's dialect (both have ON CONFLICT)."""
    return postgresql.insert(table) if s.get_bind().dialect.name == "postgresql" else sqlite.insert(table)


def write_incidents(s: Session, incidents: list[NewIncident]) -> Written:
    """Store the incidents whose event id is new (one multi-row INSERT ... ON CONFLICT DO NOTHING per chunk)."""
    ids = [i.event_id for i in incidents]
    known = stored_event_ids(s, ids)
    fresh: dict[str, dict[str, Any]] = {}
    for new in incidents:
        if new.event_id not in known and new.event_id not in fresh:
            row = new.to_row()  # validated, excerpt clipped, created_at in UTC, exactly as record_incident stores it
            fresh[new.event_id] = {c: getattr(row, c) for c in INCIDENT_COLUMNS}
    if fresh:
        table = Incident.__table__  # type: ignore[attr-defined]
        # no conflict target: an event id already stored, or the same card on a message the live bot already
        # recorded (uq_incidents_message), is skipped alike
        statement = _insert(s, table).on_conflict_do_nothing()
        for chunk in _chunks(list(fresh.values())):
            s.execute(statement, chunk)
    stored = len(stored_event_ids(s, list(fresh))) if fresh else 0
    return Written(stored, len(incidents) - stored)


def write_balance(s: Session, workspace_id: str, channel_id: str, days: dict[date, DayCounts]) -> int:
    """Raise each day's counters to the replayed counts (adding only the shortfall); returns the days changed."""
    short_rows: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(days)):
        rows = s.exec(
            select(DailyBalance).where(
                col(DailyBalance.workspace_id) == workspace_id,
                col(DailyBalance.channel_id) == channel_id,
                col(DailyBalance.day).in_(chunk),
            )
        ).all()
        stored = {row.day: (row.messages, row.benchmark_messages, row.user_outcome_messages) for row in rows}
        for day in chunk:
            counts = days[day]
            have = stored.get(day, (0, 0, 0))
            short = (
                max(0, counts.messages - have[0]),
                max(0, counts.benchmark - have[1]),
                max(0, counts.user_outcome - have[2]),
            )
            if any(short):
                short_rows.append({
                    "workspace_id": workspace_id, "channel_id": channel_id, "day": day,
                    "messages": short[0], "benchmark_messages": short[1], "user_outcome_messages": short[2],
                })
    if short_rows:
        add_daily_balances(s, short_rows)
    return len(short_rows)


class ReplayWriter:
    """Buffers incidents and finished channels' day counts; `flush` writes them in one transaction."""

    def __init__(self, engine: Engine, workspace_id: str, batch_size: int = 5_000) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self.batch_size = batch_size
        self.incidents: list[NewIncident] = []
        self.balances: list[tuple[str, dict[date, DayCounts]]] = []
        self.pending_days = 0

    def add_incident(self, new: NewIncident) -> None:
        self.incidents.append(new)

    def add_channel_balance(self, channel_id: str, days: dict[date, DayCounts]) -> None:
        if days:
            self.balances.append((channel_id, days))
            self.pending_days += len(days)

    @property
    def full(self) -> bool:
        return len(self.incidents) >= self.batch_size or self.pending_days >= self.batch_size

    def flush(self) -> Written:
        if not self.incidents and not self.balances:
            return Written()
        with session_scope(self.engine) as s:
            written = write_incidents(s, self.incidents) if self.incidents else Written()
            days = sum(write_balance(s, self.workspace_id, ch, counts) for ch, counts in self.balances)
        self.incidents = []
        self.balances = []
        self.pending_days = 0
        return Written(written.stored, written.already_stored, days)


def remember_names(engine: Engine, workspace_id: str, workspace_name: str | None, channels: dict[str, str]) -> None:
    """Keep the export's workspace and channel names, so digests of the replayed weeks can say them."""
    from bot.store.names import set_channel_names, set_workspace_name

    with session_scope(engine) as s:
        if workspace_name:
            set_workspace_name(s, workspace_id, workspace_name)
        set_channel_names(s, workspace_id, {cid: name for cid, name in channels.items() if name != cid})
