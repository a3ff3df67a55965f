"""Replaying an export into the store: what is stored, thread context, idempotence, dry run, the digest feed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.catalog import Catalog
from bot.detection import Detector
from bot.replay.export import Filters, SlackExport
from bot.replay.run import ReplayOptions, ThreadCache, excerpt, replay
from bot.store.balance import add_daily_balance
from bot.store.digest_queries import load_digest_input
from bot.store.engine import session_scope
from bot.store.models import DailyBalance, Incident
from bot.week import IsoWeek

from .builder import CLAIM, CLAIMS, HUMAN_MESSAGES, TEAM, sample_export, ts


def _incidents(engine: Engine) -> list[Incident]:
    with session_scope(engine) as s:
        return list(s.exec(select(Incident).order_by(col(Incident.created_at))).all())


def _balance(engine: Engine) -> dict[tuple[str, date], tuple[int, int, int]]:
    with session_scope(engine) as s:
        rows = s.exec(select(DailyBalance)).all()
        return {
            (r.channel_id, r.day): (r.messages, r.benchmark_messages, r.user_outcome_messages) for r in rows
        }


def test_replay_stores_claims_as_replay_log_incidents(
    tmp_path: Path, detector: Detector, catalog: Catalog, engine: Engine
) -> None:
    """Each claim becomes one incident: source replay, action log, reason replay, event id replay:{channel}:{ts}."""
    path = sample_export().write_zip(tmp_path / "export.zip")
    report = replay(path, detector, catalog, engine, ReplayOptions())
    incidents = _incidents(engine)
    assert report.claims == CLAIMS == report.stored == len(incidents)
    assert report.messages == HUMAN_MESSAGES
    assert {(i.source, i.action, i.action_reason, i.workspace_id) for i in incidents} == {
        ("replay", "log", "replay", TEAM)
    }
    assert all(i.event_id == f"replay:{i.channel_id}:{i.message_ts}" for i in incidents)
    assert all(i.reply_ts is None and i.permalink is None and i.post_error is None for i in incidents)
    first = incidents[0]
    assert first.created_at.isoformat() == "2024-03-04T10:00:00+00:00"
    shared = next(i for i in incidents if "results" in i.excerpt)
    assert shared.excerpt.startswith("Uploaded @U2 results &amp; notes:")
    assert {i.card_id for i in incidents} == {"FM-16", "RF-39"}
    assert all(i.triggers for i in incidents)


def test_thread_context_silences_a_claim_after_user_evidence(
    tmp_path: Path, detector: Detector, catalog: Catalog, sqlite_engine: Engine
) -> None:
    """A claim replying to a thread that cites user evidence is not stored; the same claim in another thread is."""
    replay(sample_export().write_folder(tmp_path / "e"), detector, catalog, sqlite_engine, ReplayOptions())
    stored = {i.message_ts for i in _incidents(sqlite_engine)}
    assert ts("2024-03-04", 9, 5) not in stored  # reply under the A/B-test parent
    assert ts("2024-03-05", 9, 10) in stored  # broadcast reply under a question
    assert detector.detect(CLAIM).fired  # it is the context, not the text, that silences it


def test_replay_matches_detect_with_thread_context_per_message(
    tmp_path: Path, detector: Detector, catalog: Catalog
) -> None:
    """Batch detection plus re-checks in threads finds exactly what detect(text, earlier thread messages) finds."""
    path = sample_export().write_folder(tmp_path / "e")
    expected = 0
    with SlackExport.open(path) as export:
        threads: dict[tuple[str, str], list[str]] = {}
        for m in export.messages(Filters()):
            context = threads.setdefault((m.channel_id, m.thread_ts), []) if m.thread_ts else []
            expected += detector.detect(m.text, context if m.is_reply else ()).fired
            if m.thread_ts:
                context.append(m.text)
    report = replay(path, detector, catalog, None, ReplayOptions(dry_run=True))
    assert report.claims == expected == CLAIMS


def test_running_twice_stores_nothing_twice(
    tmp_path: Path, detector: Detector, catalog: Catalog, engine: Engine
) -> None:
    """A second replay of the same export adds no incident and leaves every daily balance as it was."""
    path = sample_export().write_folder(tmp_path / "e")
    first = replay(path, detector, catalog, engine, ReplayOptions())
    incidents, balance = len(_incidents(engine)), _balance(engine)
    second = replay(path, detector, catalog, engine, ReplayOptions())
    assert (second.stored, second.already_stored, second.balance_days_written) == (0, CLAIMS, 0)
    assert first.balance_days_written == len(balance) > 0
    assert len(_incidents(engine)) == incidents == CLAIMS
    assert _balance(engine) == balance
    assert sum(m for m, _, _ in balance.values()) == HUMAN_MESSAGES


def test_balance_counts_per_channel_and_utc_day(
    tmp_path: Path, detector: Detector, catalog: Catalog, sqlite_engine: Engine
) -> None:
    """Daily balance holds messages, benchmark mentions and user-outcome mentions per channel and day."""
    replay(sample_export().write_folder(tmp_path / "e"), detector, catalog, sqlite_engine, ReplayOptions())
    balance = _balance(sqlite_engine)
    assert balance[("C1", date(2024, 3, 4))] == (5, 3, 1)  # chatter, evidence, 3 claims
    assert balance[("C1", date(2024, 3, 5))] == (3, 3, 0)
    assert balance[("C2", date(2024, 3, 5))] == (2, 0, 0)
    assert balance[("D1", date(2024, 3, 6))] == (2, 0, 1)


def test_overlapping_replays_and_live_counts_are_not_added_twice(
    tmp_path: Path, detector: Detector, catalog: Catalog, sqlite_engine: Engine
) -> None:
    """A day the live bot partly counted ends at the export's full count; a wider later replay only adds new days."""
    with session_scope(sqlite_engine) as s:
        add_daily_balance(s, TEAM, "C1", date(2024, 3, 4), messages=2, benchmark=1)
    path = sample_export().write_folder(tmp_path / "e")
    replay(path, detector, catalog, sqlite_engine, ReplayOptions(until=date(2024, 3, 4)))
    assert _balance(sqlite_engine) == {("C1", date(2024, 3, 4)): (5, 3, 1)}
    report = replay(path, detector, catalog, sqlite_engine, ReplayOptions())
    balance = _balance(sqlite_engine)
    assert balance[("C1", date(2024, 3, 4))] == (5, 3, 1)
    assert sum(m for m, _, _ in balance.values()) == HUMAN_MESSAGES
    assert report.already_stored == 2 and report.stored == CLAIMS - 2


def test_dry_run_stores_nothing(
    tmp_path: Path, detector: Detector, catalog: Catalog, sqlite_engine: Engine
) -> None:
    """--dry-run reports the claims but writes no incident and no balance row."""
    report = replay(
        sample_export().write_zip(tmp_path / "e.zip"), detector, catalog, sqlite_engine, ReplayOptions(dry_run=True)
    )
    assert report.dry_run and report.claims == CLAIMS and report.stored == 0
    with session_scope(sqlite_engine) as s:
        assert s.exec(select(func.count()).select_from(Incident)).one() == 0
        assert s.exec(select(func.count()).select_from(DailyBalance)).one() == 0


def test_replayed_incidents_feed_the_weekly_digest(
    tmp_path: Path, detector: Detector, catalog: Catalog, engine: Engine
) -> None:
    """After a replay, load_digest_input for a past week sees its claims, balance and examples."""
    replay(sample_export().write_folder(tmp_path / "e"), detector, catalog, engine, ReplayOptions())
    week = IsoWeek.of(date(2024, 3, 4))
    with session_scope(engine) as s:
        data = load_digest_input(s, TEAM, week)
    claims = {(c.card_id, c.channel_id): c.this_week for c in data.claims}
    assert sum(claims.values()) == CLAIMS - 1  # the 2024-04-02 claim is in a later week
    assert claims[("RF-39", "G1")] == 1
    this_week = {b.channel_id: b.messages for b in data.balance if b.week == week}
    assert this_week["C1"] == 8 and this_week["C2"] == 2
    assert data.examples and all(e.excerpt for e in data.examples)


def test_channel_and_date_filters_limit_what_is_stored(
    tmp_path: Path, detector: Detector, catalog: Catalog, sqlite_engine: Engine
) -> None:
    """--channels and --since/--until store only the chosen conversations and days."""
    path = sample_export().write_folder(tmp_path / "e")
    report = replay(
        path, detector, catalog, sqlite_engine,
        ReplayOptions(channels=("general",), since=date(2024, 4, 1), workspace_id="Tother"),
    )
    incidents = _incidents(sqlite_engine)
    assert report.claims == 1 == len(incidents)
    assert (incidents[0].channel_id, incidents[0].workspace_id) == ("C2", "Tother")
    assert set(_balance(sqlite_engine)) == {("C2", date(2024, 4, 2))}


def test_report_aggregates(tmp_path: Path, detector: Detector, catalog: Catalog) -> None:
    """The report counts claims per card, channel, month and ISO week, and keeps the balance per month."""
    report = replay(sample_export().write_folder(tmp_path / "e"), detector, catalog, None, ReplayOptions())
    assert report.dry_run
    assert dict(report.by_card) == {"FM-16": 5, "RF-39": 1}
    assert dict(report.by_channel) == {"C1": 4, "C2": 1, "G1": 1}
    assert dict(report.by_month) == {"2024-03": 5, "2024-04": 1}
    assert report.weeks() == [("2024-W10", 5), ("2024-W14", 1)]
    assert report.balance["2024-03"].messages == 13
    assert report.read.problem_count == 5
    top = report.top_claims()
    assert len(top) == 5  # two claims share one text: the top list keeps one of them
    assert [t.confidence for t in top] == sorted((t.confidence for t in top), reverse=True)
    assert report.timings.wall >= report.timings.parse + report.timings.detect


def test_thread_cache_is_bounded() -> None:
    """The thread cache keeps at most N threads (least recently used dropped), 20 messages each, bounded text."""
    cache = ThreadCache(max_threads=3, max_chars=10_000)
    for thread in range(5):
        cache.add(f"t{thread}", "x" * 50)
    assert len(cache) == 3 and cache.context("t0") == () and cache.context("t4") == ("x" * 50,)
    for i in range(30):
        cache.add("t4", f"m{i}")
    assert len(cache.context("t4")) == 20 and cache.context("t4")[-1] == "m29"
    cache.add("big", "y" * 5_000)
    cache.add("big2", "z" * 5_000)
    assert cache.chars <= 10_000


def test_excerpt_is_escaped_and_at_most_300_chars() -> None:
    """Excerpts are Slack-escaped, whitespace-collapsed and never longer than 300 characters, even full of '&'."""
    assert excerpt("a <@U1>  &amp;\n b &lt;3") == "a @U1 &amp; b &lt;3"
    long = excerpt("&" * 400)
    assert len(long) <= 300 and long.endswith("…") and "&amp" in long and not long.rstrip("…").endswith("&am")


def test_nul_and_lone_surrogates_in_an_export_are_stored_as_u_fffd(
    tmp_path: Path, detector: Detector, catalog: Catalog, engine: Engine
) -> None:
    """An export's JSON may hold "\\u0000" and lone surrogates ("\\ud800"), which neither the detector nor the
    database can take: they are read as U+FFFD, the claim around them is stored, and the report counts them."""
    from .builder import ExportBuilder, msg

    export = ExportBuilder().channel("C1", "ml-research")
    export.day("ml-research", "2024-03-04", json.dumps([  # escaped, as Slack writes them
        msg("It scored highest on MMLU\ud800, so it should be the best choice.\x00", ts("2024-03-04", 10)),
        msg("standup moved \udfff to 10", ts("2024-03-04", 11)),
    ]))
    report = replay(export.write_zip(tmp_path / "export.zip"), detector, catalog, engine, ReplayOptions())
    assert (report.messages, report.stored, report.read.replaced_characters) == (2, 1, 3)
    [incident] = _incidents(engine)
    assert incident.excerpt == "It scored highest on MMLU\ufffd, so it should be the best choice.\ufffd"
    assert incident.card_id == "FM-16"
