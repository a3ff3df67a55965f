"""Channel settings: mode, cooldown, digest opt-in and archived flag, per workspace and channel."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from bot.domain import CHANNEL_MODES
from bot.store.models import ChannelSetting
from bot.store.values import check_one_of, utc_now


def channel_setting(s: Session, workspace_id: str, channel_id: str) -> ChannelSetting:
    """The channel's settings; the defaults (not stored) when the channel has none."""
    found = s.get(ChannelSetting, (workspace_id, channel_id))
    return found if found is not None else ChannelSetting(workspace_id=workspace_id, channel_id=channel_id)


def _stored_setting(s: Session, workspace_id: str, channel_id: str) -> ChannelSetting:
    found = s.get(ChannelSetting, (workspace_id, channel_id))
    if found is None:
        found = ChannelSetting(workspace_id=workspace_id, channel_id=channel_id)
    found.updated_at = utc_now()
    s.add(found)
    return found


def set_channel_mode(s: Session, workspace_id: str, channel_id: str, mode: str) -> ChannelSetting:
    check_one_of(mode, CHANNEL_MODES, "mode")
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
