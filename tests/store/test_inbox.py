"""The inbox table on SQLite and PostgreSQL: one row per event and per message, claims, leases, applied-once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from bot.store import inbox
from bot.store.engine import session_scope
from bot.store.models import InboxItem


def item(n: int, key: str | None = "default") -> inbox.NewItem:
    return inbox.NewItem(event_id=f"Ev{n}", kind="message", workspace_id="T1", channel_id="C1", payload="{}",
                         message_key=inbox.message_key("T1", "C1", f"1.{n}") if key == "default" else key)


def test_an_event_and_a_message_are_stored_once(engine: Engine) -> None:
    """A retry (same event id) and a second event id for the same message (same key) are both refused."""
    with session_scope(engine) as s:
        assert inbox.accept(s, item(1)) is True
        assert inbox.accept(s, item(1)) is False
        assert inbox.accept(s, inbox.NewItem(event_id="EvOTHER", kind="message", workspace_id="T1",
                                             channel_id="C1", payload="{}",
                                             message_key=inbox.message_key("T1", "C1", "1.1"))) is False
        assert inbox.accept(s, item(2)) is True
        assert inbox.counts(s) == {"pending": 2}


def test_claim_finish_retry_and_fail(engine: Engine) -> None:
    """Claimed rows are working; finished rows lose their payload; a retried row waits for its delay."""
    with session_scope(engine) as s:
        for n in range(3):
            inbox.accept(s, item(n))
    with session_scope(engine) as s:
        first, second = inbox.claim(s, "w1", limit=2)
        assert (first.state, first.claimed_by, first.attempts) == ("working", "w1", 1)
        assert first.id is not None and second.id is not None
        inbox.finish(s, first.id)
        inbox.retry_later(s, second.id, timedelta(hours=1), "boom")
    with session_scope(engine) as s:
        [third] = inbox.claim(s, "w1", limit=5)  # the retried one is not due yet
        assert third.event_id == "Ev2"
        assert third.id is not None
        inbox.finish(s, third.id, error="gave up")
        done = s.get(InboxItem, first.id)
        assert done is not None and done.payload is None and done.state == "done"
        assert inbox.counts(s) == {"done": 1, "pending": 1, "failed": 1}


def test_applied_is_true_only_once(engine: Engine) -> None:
    """mark_applied says True the first time for a row and False after (the effect is never stored twice)."""
    with session_scope(engine) as s:
        inbox.accept(s, item(1))
        [row] = inbox.claim(s, "w")
        assert row.id is not None
        assert inbox.mark_applied(s, row.id) is True
        assert inbox.mark_applied(s, row.id) is False


def test_lease_and_release_bring_abandoned_rows_back(engine: Engine) -> None:
    """A row claimed by a worker that died is claimable after the lease, and at once after release_claims."""
    with session_scope(engine) as s:
        inbox.accept(s, item(1))
        inbox.accept(s, item(2))
        assert len(inbox.claim(s, "dead", limit=2)) == 2
    with session_scope(engine) as s:
        assert inbox.claim(s, "alive", lease=timedelta(minutes=5)) == []
        [back] = inbox.claim(s, "alive", lease=timedelta(seconds=-1))
        assert (back.claimed_by, back.attempts) == ("alive", 2)
    with session_scope(engine) as s:
        assert inbox.release_claims(s) == 2
        assert len(inbox.claim(s, "new", limit=5)) == 2


@pytest.mark.postgres
def test_postgres_workers_never_claim_the_same_row(pg_engine: Engine) -> None:
    """Two transactions claiming at once on PostgreSQL get disjoint rows (FOR UPDATE SKIP LOCKED), none waits."""
    with session_scope(pg_engine) as s:
        for n in range(10):
            inbox.accept(s, item(n))
    holding = threading.Event()
    release = threading.Event()
    claimed: dict[str, list[str]] = {}

    def first() -> None:
        with session_scope(pg_engine) as s:
            claimed["a"] = [r.event_id for r in inbox.claim(s, "a", limit=4)]
            holding.set()
            assert release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    with session_scope(pg_engine) as s:
        claimed["b"] = [r.event_id for r in inbox.claim(s, "b", limit=10)]
    release.set()
    thread.join(10)
    assert len(claimed["a"]) == 4 and len(claimed["b"]) == 6
    assert not set(claimed["a"]) & set(claimed["b"])


def test_nul_and_surrogates_never_reach_the_database_raw(engine: Engine) -> None:
    """The payload is stored as ASCII JSON, so escaped NULs and lone surrogates are only text to the database."""
    import json

    payload = json.dumps({"text": "a\x00b\ud800c"}, ensure_ascii=True)
    with session_scope(engine) as s:
        inbox.accept(s, inbox.NewItem(event_id="EvNUL", kind="message", workspace_id="T1", channel_id="C1",
                                      payload=payload, message_key="T1:C1:9.9"))
    with engine.connect() as c:
        stored = c.execute(text("SELECT payload FROM inbox WHERE event_id = 'EvNUL'")).scalar_one()
    assert json.loads(stored) == {"text": "a\x00b\ud800c"}


def test_retention_deletes_finished_rows_after_a_week(engine: Engine) -> None:
    """The daily retention job deletes inbox rows finished more than a week ago and keeps the rest."""
    from datetime import UTC, datetime

    from bot.jobs.retention import purge_expired
    from bot.settings import Settings

    with session_scope(engine) as s:
        for n in range(3):
            inbox.accept(s, item(n))
        rows = inbox.claim(s, "w", limit=2)
        inbox.finish_many(s, [r.id for r in rows if r.id is not None])
    now = datetime.now(UTC)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert purge_expired(engine, settings, now) == 0
    assert purge_expired(engine, settings, now + timedelta(days=8)) == 2
    with session_scope(engine) as s:
        assert inbox.counts(s) == {"pending": 1}


def test_unclaim_hands_rows_back_untouched(engine: Engine) -> None:
    """Rows a stopping worker never started go back to pending at once, their attempt not counted."""
    with session_scope(engine) as s:
        inbox.accept(s, item(1))
        [row] = inbox.claim(s, "stopping")
        assert row.id is not None
        inbox.unclaim(s, [row.id])
    with session_scope(engine) as s:
        [again] = inbox.claim(s, "next")
        assert (again.event_id, again.attempts) == ("Ev1", 1)
