"""The replay guard's table on both databases: first use wins, a repeat is refused, old rows expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from bot.store.engine import session_scope
from bot.store.models import RequestNonce
from bot.store.nonces import NONCE_TTL, first_use

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_first_use_then_refused(engine: Engine) -> None:
    """A signature is fresh once; the same signature again (in a later transaction) is a replay."""
    with session_scope(engine) as s:
        assert first_use(s, "v0=abc", NOW)
    with session_scope(engine) as s:
        assert not first_use(s, "v0=abc", NOW + timedelta(seconds=30))
        assert first_use(s, "v0=def", NOW + timedelta(seconds=30))


def test_rows_older_than_the_window_are_deleted(engine: Engine) -> None:
    """Rows past NONCE_TTL are removed on the next use, so the table stays as small as five minutes of clicks."""
    with session_scope(engine) as s:
        for i in range(5):
            first_use(s, f"v0={i}", NOW)
    with session_scope(engine) as s:
        first_use(s, "v0=late", NOW + NONCE_TTL + timedelta(seconds=1))
        assert [n.signature for n in s.exec(select(RequestNonce)).all()] == ["v0=late"]
