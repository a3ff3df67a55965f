"""The replay guard's table: a signed request is acted on the first time its signature is seen, never again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.store.models import RequestNonce, utc

NONCE_TTL = timedelta(minutes=10)  # twice Slack's 5-minute signature window


def first_use(s: Session, signature: str, now: datetime) -> bool:
    """Record `signature` as used at `now`; True the first time, False when it was already recorded (a replay).

    Safe across processes: the primary key decides, with INSERT ... ON CONFLICT DO NOTHING. Rows older than
    NONCE_TTL are deleted on the way (their timestamps are outside Slack's window, so Bolt rejects them anyway).
    """
    moment = utc(now)
    s.execute(delete(RequestNonce).where(col(RequestNonce.seen_at) < moment - NONCE_TTL))
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RequestNonce)
        .values(signature=signature, seen_at=moment)
        .on_conflict_do_nothing()
        .returning(col(RequestNonce.signature))
    )
    return s.execute(statement).first() is not None
