"""Daily balance: per channel and day, messages seen, those leaning on benchmarks and those citing user outcomes."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.store.models import DailyBalance


def add_daily_balance(
    s: Session,
    workspace_id: str,
    channel_id: str,
    day: date,
    messages: int = 1,
    benchmark: int = 0,
    user_outcome: int = 0,
) -> None:
    """Add to one channel's counters for one day, creating the row if needed (one atomic upsert)."""
    add_daily_balances(
        s,
        [
            {
                "workspace_id": workspace_id,
                "channel_id": channel_id,
                "day": day,
                "messages": messages,
                "benchmark_messages": benchmark,
                "user_outcome_messages": user_outcome,
            }
        ],
    )


@functools.cache
def _balance_upsert(dialect: str) -> Any:
    """The increment-or-insert statement for daily_balance, built once per dialect (it is immutable)."""
    table = DailyBalance.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_update(
        index_elements=["workspace_id", "channel_id", "day"],
        set_={
            "messages": table.c.messages + insert.excluded.messages,
            "benchmark_messages": table.c.benchmark_messages + insert.excluded.benchmark_messages,
            "user_outcome_messages": table.c.user_outcome_messages + insert.excluded.user_outcome_messages,
        },
    )


def add_daily_balances(s: Session, rows: Sequence[dict[str, object]], batch: int = 500) -> None:
    """`add_daily_balance` for many rows (keys as the table's columns): the same increment-or-insert upsert, batched."""
    statement = _balance_upsert(s.get_bind().dialect.name)
    for start in range(0, len(rows), batch):
        s.execute(statement, list(rows[start : start + batch]))
