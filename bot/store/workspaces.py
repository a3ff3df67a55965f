"""The workspaces the store knows of."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from bot.store.models import ChannelSetting, DailyBalance, Incident


def workspaces(s: Session) -> list[str]:
    """Every workspace the store knows of (from incidents, channel settings and daily balance)."""
    found: set[str] = set()
    for column in (Incident.workspace_id, ChannelSetting.workspace_id, DailyBalance.workspace_id):
        found.update(s.scalars(select(col(column)).distinct()))
    return sorted(found)
