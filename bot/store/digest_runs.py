"""Digest runs: claiming, finishing and reading the one post of a channel's digest per week, across processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.store.models import DigestRun
from bot.store.values import utc_now
from bot.week import IsoWeek


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
            s.add(DigestRun(workspace_id=workspace_id, channel_id=channel_id, week=str(week), claimed_at=utc_now()))
        return True
    except IntegrityError:
        pass
    moment = utc_now()
    retried = s.execute(
        update(DigestRun)
        .where(_run_filter(workspace_id, channel_id, week),
               or_(col(DigestRun.status) == "failed",
                   and_(col(DigestRun.status) == "claimed", col(DigestRun.claimed_at) < moment - stale_after)))
        .values(status="claimed", claimed_at=moment, error=None)
    )
    return bool(retried.rowcount)  # type: ignore[attr-defined]


def finish_digest_run(
    s: Session, workspace_id: str, channel_id: str, week: IsoWeek, posted: bool, error: str | None = None
) -> None:
    """Mark a claimed run as posted (or failed, with the error)."""
    result = s.execute(
        update(DigestRun)
        .where(_run_filter(workspace_id, channel_id, week))
        .values(status="posted" if posted else "failed", posted_at=utc_now() if posted else None, error=error)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LookupError(f"no digest run claimed for {workspace_id}/{channel_id} {week}")


def digest_run(s: Session, workspace_id: str, channel_id: str, week: IsoWeek) -> DigestRun | None:
    return s.scalars(select(DigestRun).where(_run_filter(workspace_id, channel_id, week))).first()
