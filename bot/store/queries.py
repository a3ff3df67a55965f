"""Reads and writes the bot needs, one small function each. Every function takes the Session first."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Delete, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.digest.week import IsoWeek
from bot.domain import ACTIONS, CARD_MODES, CHANNEL_MODES, SOURCES, VERDICTS
from bot.mrkdwn import EXCERPT_MAX
from bot.store.models import (
    ChannelSetting,
    DailyBalance,
    DigestRun,
    Feedback,
    Incident,
    UserMute,
    utc,
)

# What counts as "Mirage spoke" for cooldowns and caps: a nudge that was posted (no post_error), outside replays.
NUDGE_ACTIONS = ("reply", "ephemeral")


def _check(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewIncident:
    """An incident about to be stored: the fields of Incident without the id. `created_at` is the message time."""

    workspace_id: str
    channel_id: str
    user_id: str
    message_ts: str
    event_id: str
    card_id: str
    card_mode: str
    confidence: float
    excerpt: str
    action: str
    action_reason: str
    created_at: datetime
    triggers: tuple[str, ...] | list[str] = ()
    thread_ts: str | None = None
    permalink: str | None = None
    reply_channel: str | None = None
    reply_ts: str | None = None
    post_error: str | None = None
    source: str = "live"

    def __post_init__(self) -> None:
        _check(self.card_mode, CARD_MODES, "card_mode")
        _check(self.action, ACTIONS, "action")
        _check(self.source, SOURCES, "source")
        if not self.event_id:
            raise ValueError("event_id must not be empty")

    def to_row(self) -> Incident:
        values = asdict(self)
        values["triggers"] = list(self.triggers)
        values["excerpt"] = self.excerpt[:EXCERPT_MAX]
        values["created_at"] = utc(self.created_at)
        return Incident(**values)


def _incident_by_event(s: Session, event_id: str) -> Incident | None:
    return s.scalars(select(Incident).where(col(Incident.event_id) == event_id)).first()


def _incident_for_message(s: Session, new: NewIncident) -> Incident | None:
    query = select(Incident).where(
        col(Incident.workspace_id) == new.workspace_id,
        col(Incident.channel_id) == new.channel_id,
        col(Incident.message_ts) == new.message_ts,
        col(Incident.card_id) == new.card_id,
    )
    return s.scalars(query).first()


def _stored_twin(s: Session, new: NewIncident) -> Incident | None:
    return _incident_by_event(s, new.event_id) or _incident_for_message(s, new)


def record_incident(s: Session, new: NewIncident) -> tuple[Incident, bool]:
    """Store `new`; (incident, True). If its event_id, or the same card on the same message (a second event id,
    a replay of a live message), is already stored: (the stored incident, False)."""
    existing = _stored_twin(s, new)
    if existing is not None:
        return existing, False
    row = new.to_row()
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        existing = _stored_twin(s, new)
        if existing is None:
            raise
        return existing, False
    return row, True


def set_incident_outcome(
    s: Session,
    incident_id: int,
    action: str,
    reason: str,
    reply_channel: str | None = None,
    reply_ts: str | None = None,
    post_error: str | None = None,
) -> Incident:
    """Record what Mirage finally did about an incident (and where it replied, or why posting failed)."""
    _check(action, ACTIONS, "action")
    incident = s.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no incident with id {incident_id}")
    incident.action = action
    incident.action_reason = reason
    incident.reply_channel = reply_channel
    incident.reply_ts = reply_ts
    incident.post_error = post_error
    s.add(incident)
    s.flush()
    return incident


def incidents_for_message(s: Session, workspace_id: str, channel_id: str, message_ts: str) -> list[Incident]:
    query = (
        select(Incident)
        .where(
            col(Incident.workspace_id) == workspace_id,
            col(Incident.channel_id) == channel_id,
            col(Incident.message_ts) == message_ts,
        )
        .order_by(col(Incident.id))
    )
    return list(s.scalars(query))


def _spoke() -> ColumnElement[bool]:
    return and_(
        col(Incident.action).in_(NUDGE_ACTIONS),
        col(Incident.post_error).is_(None),
        col(Incident.source) != "replay",
    )


def replied_in_thread(s: Session, workspace_id: str, channel_id: str, thread_ts: str, card_id: str) -> bool:
    """Whether Mirage already nudged about `card_id` in this thread (on its root message or any reply)."""
    query = select(col(Incident.id)).where(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.channel_id) == channel_id,
        or_(col(Incident.thread_ts) == thread_ts, col(Incident.message_ts) == thread_ts),
        col(Incident.card_id) == card_id,
        _spoke(),
    )
    return s.scalars(query.limit(1)).first() is not None


def last_reply_at(s: Session, workspace_id: str, channel_id: str) -> datetime | None:
    """The message time of the latest incident Mirage nudged about in this channel."""
    query = select(func.max(Incident.created_at)).where(
        col(Incident.workspace_id) == workspace_id, col(Incident.channel_id) == channel_id, _spoke()
    )
    latest: datetime | None = s.scalar(query)
    return None if latest is None else utc(latest)


def replies_by_user_since(s: Session, workspace_id: str, user_id: str, since: datetime) -> int:
    """How many times Mirage nudged this person since `since`."""
    query = select(func.count()).where(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.user_id) == user_id,
        col(Incident.created_at) >= since,
        _spoke(),
    )
    return int(s.scalar(query) or 0)


# --- channel settings -------------------------------------------------------------------------------------------


def channel_setting(s: Session, workspace_id: str, channel_id: str) -> ChannelSetting:
    """The channel's settings; the defaults (not stored) when the channel has none."""
    found = s.get(ChannelSetting, (workspace_id, channel_id))
    return found if found is not None else ChannelSetting(workspace_id=workspace_id, channel_id=channel_id)


def _stored_setting(s: Session, workspace_id: str, channel_id: str) -> ChannelSetting:
    found = s.get(ChannelSetting, (workspace_id, channel_id))
    if found is None:
        found = ChannelSetting(workspace_id=workspace_id, channel_id=channel_id)
    found.updated_at = _now()
    s.add(found)
    return found


def set_channel_mode(s: Session, workspace_id: str, channel_id: str, mode: str) -> ChannelSetting:
    _check(mode, CHANNEL_MODES, "mode")
    setting = _stored_setting(s, workspace_id, channel_id)
    setting.mode = mode
    s.flush()
    return setting


def set_channel_cooldown(s: Session, workspace_id: str, channel_id: str, minutes: int | None) -> ChannelSetting:
    """Override the cooldown for one channel (None: use the global COOLDOWN_MINUTES)."""
    if minutes is not None and minutes < 0:
        raise ValueError(f"cooldown must be 0 minutes or more; got {minutes}")
    setting = _stored_setting(s, workspace_id, channel_id)
    setting.cooldown_minutes = minutes
    s.flush()
    return setting


def set_digest(s: Session, workspace_id: str, channel_id: str, enabled: bool) -> ChannelSetting:
    setting = _stored_setting(s, workspace_id, channel_id)
    setting.digest_enabled = enabled
    s.flush()
    return setting


def set_archived(s: Session, workspace_id: str, channel_id: str, archived: bool) -> ChannelSetting:
    setting = _stored_setting(s, workspace_id, channel_id)
    setting.archived = archived
    s.flush()
    return setting


def watched_channels(s: Session, workspace_id: str) -> list[ChannelSetting]:
    """Channels of the workspace with stored settings that are neither archived nor switched off."""
    query = (
        select(ChannelSetting)
        .where(
            col(ChannelSetting.workspace_id) == workspace_id,
            col(ChannelSetting.archived).is_(False),
            col(ChannelSetting.mode) != "off",
        )
        .order_by(col(ChannelSetting.channel_id))
    )
    return list(s.scalars(query))


def digest_targets(s: Session, extra_channels: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(workspace, channel) pairs that get the weekly digest: opted in or listed in `extra_channels`, not archived."""
    rows = s.execute(select(col(ChannelSetting.workspace_id), col(ChannelSetting.channel_id),
                            col(ChannelSetting.digest_enabled), col(ChannelSetting.archived))).all()
    archived = {(ws, ch) for ws, ch, _, arch in rows if arch}
    targets = {(ws, ch) for ws, ch, enabled, arch in rows if enabled and not arch}
    targets.update(pair for pair in extra_channels if tuple(pair) not in archived)
    return sorted(targets)


# --- mutes ------------------------------------------------------------------------------------------------------


def mute_user(s: Session, workspace_id: str, user_id: str, until: datetime | None) -> UserMute:
    """Mute a person until `until` (None: until they unmute). Muting again replaces the end time."""
    mute = s.get(UserMute, (workspace_id, user_id)) or UserMute(workspace_id=workspace_id, user_id=user_id)
    mute.until = None if until is None else utc(until)
    s.add(mute)
    s.flush()
    return mute


def unmute_user(s: Session, workspace_id: str, user_id: str) -> bool:
    """Lift a mute; False when the person was not muted."""
    result = s.execute(
        delete(UserMute).where(col(UserMute.workspace_id) == workspace_id, col(UserMute.user_id) == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_muted(s: Session, workspace_id: str, user_id: str, now: datetime) -> bool:
    mute = s.get(UserMute, (workspace_id, user_id))
    return mute is not None and (mute.until is None or utc(mute.until) > utc(now))


# --- feedback ---------------------------------------------------------------------------------------------------


def record_feedback(s: Session, incident_id: int, user_id: str, verdict: str, now: datetime | None = None) -> Feedback:
    """Store one person's verdict on one nudge; a later verdict from the same person replaces the earlier one."""
    _check(verdict, VERDICTS, "verdict")
    if s.get(Incident, incident_id) is None:
        raise LookupError(f"no incident with id {incident_id}")
    moment = utc(now) if now is not None else _now()
    query = select(Feedback).where(col(Feedback.incident_id) == incident_id, col(Feedback.user_id) == user_id)
    found = s.scalars(query).first()
    if found is None:
        try:
            with s.begin_nested():
                found = Feedback(incident_id=incident_id, user_id=user_id, verdict=verdict, created_at=moment)
                s.add(found)
            return found
        except IntegrityError:  # someone answered at the same moment from another process
            found = s.scalars(query).one()
    found.verdict = verdict
    found.created_at = moment
    s.add(found)
    s.flush()
    return found


# --- daily balance ----------------------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """One channel since a moment: claims per card, message balance and feedback per verdict."""

    claims_by_card: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    benchmark_messages: int = 0
    user_outcome_messages: int = 0
    feedback: dict[str, int] = field(default_factory=dict)


def channel_stats(s: Session, workspace_id: str, channel_id: str, since: datetime) -> ChannelStats:
    in_channel = and_(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.channel_id) == channel_id,
        col(Incident.created_at) >= since,
    )
    card = col(Incident.card_id)
    claims = s.execute(select(card, func.count()).where(in_channel).group_by(card)).all()
    balance = s.execute(
        select(
            func.coalesce(func.sum(DailyBalance.messages), 0),
            func.coalesce(func.sum(DailyBalance.benchmark_messages), 0),
            func.coalesce(func.sum(DailyBalance.user_outcome_messages), 0),
        ).where(
            col(DailyBalance.workspace_id) == workspace_id,
            col(DailyBalance.channel_id) == channel_id,
            col(DailyBalance.day) >= utc(since).date(),
        )
    ).one()
    verdicts = s.execute(
        select(col(Feedback.verdict), func.count())
        .join(Incident, col(Incident.id) == col(Feedback.incident_id))
        .where(in_channel)
        .group_by(col(Feedback.verdict))
    ).all()
    return ChannelStats(
        claims_by_card={card: int(n) for card, n in sorted(claims)},
        messages=int(balance[0]),
        benchmark_messages=int(balance[1]),
        user_outcome_messages=int(balance[2]),
        feedback={verdict: int(n) for verdict, n in sorted(verdicts)},
    )


# --- digest runs ------------------------------------------------------------------------------------------------


def _run_filter(workspace_id: str, channel_id: str, week: IsoWeek) -> ColumnElement[bool]:
    return and_(
        col(DigestRun.workspace_id) == workspace_id,
        col(DigestRun.channel_id) == channel_id,
        col(DigestRun.week) == str(week),
    )


STALE_DIGEST_CLAIM = timedelta(minutes=15)  # a claim this old was never finished: its process died mid-post


def claim_digest_run(s: Session, workspace_id: str, channel_id: str, week: IsoWeek,
                     stale_after: timedelta = STALE_DIGEST_CLAIM) -> bool:
    """Claim the right to post this channel's digest for `week`. True for exactly one claimant across processes
    (the UNIQUE constraint decides); a run that was finished as failed, or claimed longer than `stale_after` ago and
    never finished (the claimant was killed), can be claimed again."""
    try:
        with s.begin_nested():
            s.add(DigestRun(workspace_id=workspace_id, channel_id=channel_id, week=str(week), claimed_at=_now()))
        return True
    except IntegrityError:
        pass
    now = _now()
    retried = s.execute(
        update(DigestRun)
        .where(_run_filter(workspace_id, channel_id, week),
               or_(col(DigestRun.status) == "failed",
                   and_(col(DigestRun.status) == "claimed", col(DigestRun.claimed_at) < now - stale_after)))
        .values(status="claimed", claimed_at=now, error=None)
    )
    return bool(retried.rowcount)  # type: ignore[attr-defined]


def finish_digest_run(
    s: Session, workspace_id: str, channel_id: str, week: IsoWeek, posted: bool, error: str | None = None
) -> None:
    """Mark a claimed run as posted (or failed, with the error)."""
    result = s.execute(
        update(DigestRun)
        .where(_run_filter(workspace_id, channel_id, week))
        .values(status="posted" if posted else "failed", posted_at=_now() if posted else None, error=error)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LookupError(f"no digest run claimed for {workspace_id}/{channel_id} {week}")


def digest_run(s: Session, workspace_id: str, channel_id: str, week: IsoWeek) -> DigestRun | None:
    return s.scalars(select(DigestRun).where(_run_filter(workspace_id, channel_id, week))).first()


# --- retention --------------------------------------------------------------------------------------------------


def _delete(s: Session, statement: Delete) -> int:
    return int(s.execute(statement).rowcount)  # type: ignore[attr-defined]


def purge_older_than(s: Session, cutoff: datetime) -> int:
    """Delete incidents (with their feedback), daily balance and digest runs older than `cutoff`; rows deleted."""
    old = select(col(Incident.id)).where(col(Incident.created_at) < cutoff).scalar_subquery()
    deleted = _delete(s, delete(Feedback).where(col(Feedback.incident_id).in_(old)))
    deleted += _delete(s, delete(Incident).where(col(Incident.created_at) < cutoff))
    deleted += _delete(s, delete(DailyBalance).where(col(DailyBalance.day) < utc(cutoff).date()))
    deleted += _delete(s, delete(DigestRun).where(col(DigestRun.claimed_at) < cutoff))
    deleted += _delete(s, delete(UserMute).where(col(UserMute.until).is_not(None), col(UserMute.until) < cutoff))
    return deleted


def purge_user(s: Session, user_id: str, workspace_id: str | None = None) -> int:
    """Delete everything stored about one person: their incidents (with feedback on them), their feedback, mutes."""
    in_scope: list[ColumnElement[bool]] = [col(Incident.user_id) == user_id]
    if workspace_id is not None:
        in_scope.append(col(Incident.workspace_id) == workspace_id)
    theirs = select(col(Incident.id)).where(*in_scope).scalar_subquery()
    deleted = _delete(s, delete(Feedback).where(col(Feedback.incident_id).in_(theirs)))
    given: list[ColumnElement[bool]] = [col(Feedback.user_id) == user_id]
    if workspace_id is not None:
        scoped = select(col(Incident.id)).where(col(Incident.workspace_id) == workspace_id).scalar_subquery()
        given.append(col(Feedback.incident_id).in_(scoped))
    deleted += _delete(s, delete(Feedback).where(*given))
    deleted += _delete(s, delete(Incident).where(*in_scope))
    mutes: list[ColumnElement[bool]] = [col(UserMute.user_id) == user_id]
    if workspace_id is not None:
        mutes.append(col(UserMute.workspace_id) == workspace_id)
    deleted += _delete(s, delete(UserMute).where(*mutes))
    return deleted


def workspaces(s: Session) -> list[str]:
    """Every workspace the store knows of (from incidents, channel settings and daily balance)."""
    found: set[str] = set()
    for column in (Incident.workspace_id, ChannelSetting.workspace_id, DailyBalance.workspace_id):
        found.update(s.scalars(select(col(column)).distinct()))
    return sorted(found)
