"""Incidents: storing one claim (once per event and per card on a message), its outcome, and a message's claims."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.domain import ACTIONS, CARD_MODES, SOURCES
from bot.mrkdwn import EXCERPT_MAX
from bot.store.models import Incident, utc
from bot.store.values import check_one_of


@dataclass(frozen=True, slots=True)
class NewIncident:
    """An incident about to be stored: the fields of Incident without the id. `created_at` is the message time."""

    workspace_id: str
    channel_id: str
    user_id: str
    message_ts: str
    event_id: str
    card_id: str
    card_mode: str
    confidence: float
    excerpt: str
    action: str
    action_reason: str
    created_at: datetime
    triggers: tuple[str, ...] | list[str] = ()
    thread_ts: str | None = None
    permalink: str | None = None
    reply_channel: str | None = None
    reply_ts: str | None = None
    post_error: str | None = None
    source: str = "live"

    def __post_init__(self) -> None:
        check_one_of(self.card_mode, CARD_MODES, "card_mode")
        check_one_of(self.action, ACTIONS, "action")
        check_one_of(self.source, SOURCES, "source")
        if not self.event_id:
            raise ValueError("event_id must not be empty")

    def to_row(self) -> Incident:
        values = asdict(self)
        values["triggers"] = list(self.triggers)
        values["excerpt"] = self.excerpt[:EXCERPT_MAX]
        values["created_at"] = utc(self.created_at)
        return Incident(**values)


def _incident_by_event(s: Session, event_id: str) -> Incident | None:
    return s.scalars(select(Incident).where(col(Incident.event_id) == event_id)).first()


def _incident_for_message(s: Session, new: NewIncident) -> Incident | None:
    query = select(Incident).where(
        col(Incident.workspace_id) == new.workspace_id,
        col(Incident.channel_id) == new.channel_id,
        col(Incident.message_ts) == new.message_ts,
        col(Incident.card_id) == new.card_id,
    )
    return s.scalars(query).first()


def _stored_twin(s: Session, new: NewIncident) -> Incident | None:
    return _incident_by_event(s, new.event_id) or _incident_for_message(s, new)


def record_incident(s: Session, new: NewIncident) -> tuple[Incident, bool]:
    """Store `new`; (incident, True). If its event_id, or the same card on the same message (a second event id,
    a replay of a live message), is already stored: (the stored incident, False)."""
    existing = _stored_twin(s, new)
    if existing is not None:
        return existing, False
    row = new.to_row()
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        existing = _stored_twin(s, new)
        if existing is None:
            raise
        return existing, False
    return row, True


def set_incident_outcome(
    s: Session,
    incident_id: int,
    action: str,
    reason: str,
    reply_channel: str | None = None,
    reply_ts: str | None = None,
    post_error: str | None = None,
) -> Incident:
    """Record what Mirage finally did about an incident (and where it replied, or why posting failed)."""
    check_one_of(action, ACTIONS, "action")
    incident = s.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no incident with id {incident_id}")
    incident.action = action
    incident.action_reason = reason
    incident.reply_channel = reply_channel
    incident.reply_ts = reply_ts
    incident.post_error = post_error
    s.add(incident)
    s.flush()
    return incident


def incidents_for_message(s: Session, workspace_id: str, channel_id: str, message_ts: str) -> list[Incident]:
    query = (
        select(Incident)
        .where(
            col(Incident.workspace_id) == workspace_id,
            col(Incident.channel_id) == channel_id,
            col(Incident.message_ts) == message_ts,
        )
        .order_by(col(Incident.id))
    )
    return list(s.scalars(query))
