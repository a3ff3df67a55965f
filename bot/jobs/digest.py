"""The weekly digest job: due-time arithmetic and exactly-once posting of every due digest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.digest.build import build_digest
from bot.digest.hints import digest_failure_hint
from bot.digest.model import DigestInput
from bot.digest.render import summary
from bot.settings import Settings
from bot.slack.blocks import digest_blocks
from bot.store.channels import digest_targets
from bot.store.digest_queries import channel_examples, load_digest_input
from bot.store.digest_runs import claim_digest_run, finish_digest_run
from bot.store.engine import session_scope
from bot.store.workspaces import workspaces
from bot.week import IsoWeek

log = logging.getLogger(__name__)

Poster = Callable[[str, str, list[dict[str, Any]], str], None]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class DueDigest:
    """The digest slot most recently passed: when it was scheduled and which (complete) week it covers."""

    scheduled_at: datetime
    week: IsoWeek


def weekday_index(day: str) -> int:
    """0 for "mon" (or "monday", "Mon", "0") up to 6 for Sunday; a clear ValueError otherwise."""
    text = day.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    for index, name in enumerate(DAYS):
        if text in (name, FULL_DAYS[index]):
            return index
    raise ValueError(f"DIGEST_DAY_OF_WEEK must be a weekday such as 'mon', not {day!r}")


def last_slot(settings: Settings, now: datetime) -> datetime:
    """The most recent scheduled digest time at or before `now` (aware, in DIGEST_TZ)."""
    tz = ZoneInfo(settings.digest_tz)
    local = now.astimezone(tz)
    back = (local.weekday() - weekday_index(settings.digest_day_of_week)) % 7
    day: date = local.date() - timedelta(days=back)
    slot = datetime.combine(day, time(settings.digest_hour, settings.digest_minute), tzinfo=tz)
    if slot > local:
        slot = datetime.combine(day - timedelta(days=7), time(settings.digest_hour, settings.digest_minute), tzinfo=tz)
    return slot


def due_digest(settings: Settings, now: datetime) -> DueDigest | None:
    """The digest due at `now`: its slot has passed and lies within DIGEST_GRACE_HOURS; None otherwise.

    The week is the last complete ISO week (UTC weeks) at the slot, so every run inside one grace window, on any
    machine, agrees on the week.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    slot = last_slot(settings, now)
    if now - slot > timedelta(hours=settings.digest_grace_hours):
        return None
    return DueDigest(slot, IsoWeek.of(slot).previous())


def digest_channels(settings: Settings, known_workspaces: Sequence[str]) -> list[tuple[str, str]]:
    """DIGEST_CHANNELS as (workspace, channel) pairs: "T1:C1" names its workspace; a bare "C1" goes with each
    workspace the store knows (Slack channel ids are unique, so a wrong pairing only fails to post)."""
    pairs: list[tuple[str, str]] = []
    for entry in settings.digest_channel_ids:
        if ":" in entry:
            ws, _, ch = entry.partition(":")
            if ws.strip() and ch.strip():
                pairs.append((ws.strip(), ch.strip()))
        else:
            pairs.extend((ws, entry) for ws in known_workspaces)
    return pairs


def post_due_digests(
    engine: Engine, catalog: Catalog, settings: Settings, poster: Poster, now: datetime
) -> list[tuple[str, str, IsoWeek]]:
    """Post every digest due at `now`, each (workspace, channel, week) at most once across processes.

    A channel is claimed in the database before posting; the run is then finished as posted, or as failed with the
    error (a failed run may be claimed again by a later call within the grace window). One channel's failure never
    stops the others. Returns what was posted.
    """
    due = due_digest(settings, now)
    if due is None:
        return []
    week = due.week
    with session_scope(engine) as s:
        targets = digest_targets(s, digest_channels(settings, workspaces(s)))
    posted: list[tuple[str, str, IsoWeek]] = []
    inputs: dict[str, DigestInput] = {}  # the workspace aggregates, computed once; examples are per channel
    for ws, ch in targets:
        with session_scope(engine) as s:
            if not claim_digest_run(s, ws, ch, week):
                continue
        try:
            with session_scope(engine) as s:
                if ws not in inputs:
                    inputs[ws] = load_digest_input(s, ws, week, examples=0)
                data = channel_examples(s, inputs[ws], ch)
            digest = build_digest(data, catalog, posted_in=ch)
            poster(ws, ch, digest_blocks(digest), summary(digest))
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run; the other channels go on
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
            hint = digest_failure_hint(ch, error)
            log.warning("digest %s for %s/%s failed: %s", week, ws, ch, hint or exc)
            _finish(engine, ws, ch, week, posted=False, error=error)
            continue
        _finish(engine, ws, ch, week, posted=True)
        log.info("digest %s posted to %s/%s", week, ws, ch)
        posted.append((ws, ch, week))
    return posted


def _finish(engine: Engine, ws: str, ch: str, week: IsoWeek, posted: bool, error: str | None = None) -> None:
    try:
        with session_scope(engine) as s:
            finish_digest_run(s, ws, ch, week, posted=posted, error=error)
    except Exception:  # the post already happened (or failed); bookkeeping must never stop the loop
        log.exception("could not record the digest run %s for %s/%s", week, ws, ch)
