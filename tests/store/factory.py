"""Incidents for store tests, with sensible defaults and unique event ids."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.incidents import NewIncident
from bot.week import IsoWeek

WEEK = IsoWeek(2026, 47)
MONDAY = WEEK.start + timedelta(hours=10)  # Monday 16 Nov 2026, 10:00 UTC
_ids = itertools.count(1)

BASE = NewIncident(
    workspace_id="T1",
    channel_id="C1",
    user_id="U1",
    message_ts="1700000000.000100",
    event_id="Ev0",
    card_id="FM-16",
    card_mode="live",
    confidence=0.8,
    excerpt="It scored highest on MMLU, so ship it.",
    action="reply",
    action_reason="claim in a reply channel",
    created_at=MONDAY,
    triggers=("scored highest", "MMLU"),
)


def incident(**changes: Any) -> NewIncident:
    """A NewIncident like BASE with a fresh event id and message ts unless given."""
    n = next(_ids)
    changes.setdefault("event_id", f"Ev{n:06d}")
    changes.setdefault("message_ts", f"1700000000.{n:06d}")
    return replace(BASE, **changes)


def at(days: float = 0, hours: float = 0) -> datetime:
    """MONDAY shifted by days/hours (UTC)."""
    return (MONDAY + timedelta(days=days, hours=hours)).astimezone(UTC)
