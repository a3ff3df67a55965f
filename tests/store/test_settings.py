"""Channel settings, digest targets and mutes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.store.channels import (
    channel_setting,
    digest_targets,
    set_archived,
    set_channel_cooldown,
    set_channel_mode,
    set_digest,
    watched_channels,
)
from bot.store.engine import session_scope
from bot.store.incidents import record_incident
from bot.store.mutes import is_muted, mute_user, unmute_user
from bot.store.workspaces import workspaces

from .factory import at, incident


def test_channel_setting_defaults_when_absent(engine: Engine) -> None:
    """A channel nobody configured replies, uses the global cooldown, has no digest and is not archived."""
    with session_scope(engine) as s:
        setting = channel_setting(s, "T1", "C9")
        assert (setting.mode, setting.cooldown_minutes, setting.digest_enabled, setting.archived) == (
            "reply", None, False, False)
        assert watched_channels(s, "T1") == []  # the defaults are not stored


def test_channel_setting_updates_persist(engine: Engine) -> None:
    """Mode, cooldown, digest opt-in and archived flag are stored and read back in a new session."""
    with session_scope(engine) as s:
        set_channel_mode(s, "T1", "C1", "shadow")
        set_channel_cooldown(s, "T1", "C1", 5)
        set_digest(s, "T1", "C1", True)
    with session_scope(engine) as s:
        setting = channel_setting(s, "T1", "C1")
        assert (setting.mode, setting.cooldown_minutes, setting.digest_enabled) == ("shadow", 5, True)
        assert setting.updated_at.tzinfo is not None
        set_channel_mode(s, "T1", "C1", "off")
    with session_scope(engine) as s:
        assert channel_setting(s, "T1", "C1").mode == "off"
        assert channel_setting(s, "T1", "C1").digest_enabled is True


def test_set_channel_mode_rejects_unknown_modes(engine: Engine) -> None:
    """An unknown mode is refused with a message naming the allowed ones, and nothing is stored."""
    with session_scope(engine) as s:
        with pytest.raises(ValueError, match="reply, ephemeral, reaction, shadow, off"):
            set_channel_mode(s, "T1", "C1", "loud")
        assert channel_setting(s, "T1", "C1").mode == "reply"


def test_watched_channels_skip_archived_and_off(engine: Engine) -> None:
    """watched_channels lists the workspace's configured channels that are neither archived nor off."""
    with session_scope(engine) as s:
        set_channel_mode(s, "T1", "C1", "reply")
        set_channel_mode(s, "T1", "C2", "off")
        set_channel_mode(s, "T1", "C3", "shadow")
        set_archived(s, "T1", "C3", True)
        set_channel_mode(s, "T1", "C4", "ephemeral")
        set_channel_mode(s, "T2", "C5", "reply")
    with session_scope(engine) as s:
        assert [c.channel_id for c in watched_channels(s, "T1")] == ["C1", "C4"]


def test_digest_targets_opted_in_plus_extras_minus_archived(engine: Engine) -> None:
    """Opted-in channels and the always-digest extras get the digest, unless archived; no duplicates."""
    with session_scope(engine) as s:
        set_digest(s, "T1", "C1", True)
        set_digest(s, "T1", "C2", True)
        set_archived(s, "T1", "C2", True)
        set_digest(s, "T2", "C3", False)
        set_archived(s, "T1", "C9", True)
    with session_scope(engine) as s:
        targets = digest_targets(s, [("T1", "C1"), ("T2", "C3"), ("T1", "C9")])
    assert targets == [("T1", "C1"), ("T2", "C3")]


def test_mutes_with_and_without_expiry(engine: Engine) -> None:
    """A timed mute ends at `until`; an open-ended mute lasts until unmuted; unmuting twice says False."""
    with session_scope(engine) as s:
        mute_user(s, "T1", "U1", at(days=1))
        mute_user(s, "T1", "U2", None)
    with session_scope(engine) as s:
        assert is_muted(s, "T1", "U1", at(hours=23)) is True
        assert is_muted(s, "T1", "U1", at(days=1)) is False
        assert is_muted(s, "T1", "U2", at(days=400)) is True
        assert is_muted(s, "T2", "U2", at()) is False
        assert is_muted(s, "T1", "U3", at()) is False
        mute_user(s, "T1", "U1", None)  # muting again replaces the end time
    with session_scope(engine) as s:
        assert is_muted(s, "T1", "U1", at(days=30)) is True
        assert unmute_user(s, "T1", "U1") is True
        assert unmute_user(s, "T1", "U1") is False
        assert is_muted(s, "T1", "U1", at()) is False


def test_workspaces_lists_every_known_workspace(engine: Engine) -> None:
    """Workspaces come from incidents and channel settings, sorted and without duplicates."""
    with session_scope(engine) as s:
        record_incident(s, incident(workspace_id="T2"))
        record_incident(s, incident(workspace_id="T1"))
        set_digest(s, "T3", "C1", True)
        set_digest(s, "T1", "C1", True)
    with session_scope(engine) as s:
        assert workspaces(s) == ["T1", "T2", "T3"]
