"""Feedback: one verdict per person per nudge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.domain import VERDICTS
from bot.store.models import Feedback, Incident, utc
from bot.store.values import check_one_of, utc_now


def record_feedback(s: Session, incident_id: int, user_id: str, verdict: str, now: datetime | None = None) -> Feedback:
    """Store one person's verdict on one nudge; a later verdict from the same person replaces the earlier one."""
    check_one_of(verdict, VERDICTS, "verdict")
    if s.get(Incident, incident_id) is None:
        raise LookupError(f"no incident with id {incident_id}")
    moment = utc(now) if now is not None else utc_now()
    query = select(Feedback).where(col(Feedback.incident_id) == incident_id, col(Feedback.user_id) == user_id)
    found = s.scalars(query).first()
    if found is None:
        try:
            with s.begin_nested():
                found = Feedback(incident_id=incident_id, user_id=user_id, verdict=verdict, created_at=moment)
                s.add(found)
            return found
        except IntegrityError:  # someone answered at the same moment from another process
            found = s.scalars(query).one()
    found.verdict = verdict
    found.created_at = moment
    s.add(found)
    s.flush()
    return found
