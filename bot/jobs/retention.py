"""The retention job: delete what is older than RETENTION_DAYS, and finished inbox rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.settings import Settings
from bot.store.engine import session_scope
from bot.store.inbox import purge_finished
from bot.store.retention import purge_older_than

INBOX_KEEP = timedelta(days=7)  # finished inbox rows (no text left in them) are kept this long, then deleted


def purge_expired(engine: Engine, settings: Settings, now: datetime) -> int:
    """Delete what is older than RETENTION_DAYS, and inbox rows finished over INBOX_KEEP ago; rows deleted."""
    with session_scope(engine) as s:
        deleted = purge_older_than(s, now - timedelta(days=settings.retention_days))
        return deleted + purge_finished(s, now - INBOX_KEEP)
