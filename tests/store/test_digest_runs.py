"""Claiming weekly digest runs: exactly one claimant, also across threads and engines."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from bot.store.digest_runs import claim_digest_run, digest_run, finish_digest_run
from bot.store.engine import make_engine, session_scope
from bot.week import IsoWeek

WEEK = IsoWeek(2026, 47)


def test_claim_digest_run_exactly_once(engine: Engine) -> None:
    """The first claim for (workspace, channel, week) wins; the second loses; other weeks and channels are free."""
    with session_scope(engine) as s:
        assert claim_digest_run(s, "T1", "C1", WEEK) is True
    with session_scope(engine) as s:
        assert claim_digest_run(s, "T1", "C1", WEEK) is False
        assert claim_digest_run(s, "T1", "C1", WEEK.previous()) is True
        assert claim_digest_run(s, "T1", "C2", WEEK) is True
        run = digest_run(s, "T1", "C1", WEEK)
        assert run is not None and run.status == "claimed" and run.week == "2026-W47"


def test_finish_digest_run_posted_and_failed(engine: Engine) -> None:
    """A posted run stays taken; a failed run keeps its error and may be claimed again once."""
    with session_scope(engine) as s:
        claim_digest_run(s, "T1", "C1", WEEK)
        finish_digest_run(s, "T1", "C1", WEEK, posted=True)
        claim_digest_run(s, "T1", "C2", WEEK)
        finish_digest_run(s, "T1", "C2", WEEK, posted=False, error="not_in_channel")
    with session_scope(engine) as s:
        posted = digest_run(s, "T1", "C1", WEEK)
        failed = digest_run(s, "T1", "C2", WEEK)
        assert posted is not None and posted.status == "posted" and posted.posted_at is not None
        assert failed is not None and (failed.status, failed.error) == ("failed", "not_in_channel")
        assert claim_digest_run(s, "T1", "C1", WEEK) is False
        assert claim_digest_run(s, "T1", "C2", WEEK) is True
        assert claim_digest_run(s, "T1", "C2", WEEK) is False
        with pytest.raises(LookupError):
            finish_digest_run(s, "T1", "C3", WEEK, posted=True)


def _race(engines: list[Engine], attempt: Callable[[Engine], bool]) -> list[bool]:
    barrier = threading.Barrier(len(engines))
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(engine: Engine) -> None:
        try:
            barrier.wait(timeout=30)
            won = attempt(engine)
            with lock:
                results.append(won)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


def test_concurrent_claims_from_separate_engines(engine: Engine) -> None:
    """Eight threads, each with its own engine (like separate processes), race for one run: exactly one wins."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(8)]

    def attempt(e: Engine) -> bool:
        with session_scope(e) as s:
            return claim_digest_run(s, "T1", "C1", WEEK)

    try:
        results = _race(engines, attempt)
    finally:
        for e in engines:
            e.dispose()
    assert len(results) == 8
    assert results.count(True) == 1
    with session_scope(engine) as s:
        run = digest_run(s, "T1", "C1", WEEK)
        assert run is not None and run.status == "claimed"
