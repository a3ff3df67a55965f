"""The reply policy: given a detection and what was already said, reply, stay quiet, or only log. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.detection import Detection
from bot.policy.model import (
    HUMAN_SUBTYPES,
    Caps,
    CardMode,
    ChannelFacts,
    Decision,
    HistoryFacts,
    MessageFacts,
)


def ignored(message: MessageFacts) -> Decision | None:
    """The decision for a message Mirage must never answer (itself, bots, system events), else None.

    Checked before detection runs, so ignored messages cost nothing.
    """
    if message.is_self:
        return Decision("none", "Mirage's own message")
    if message.is_bot:
        return Decision("none", "message from a bot")
    if message.subtype is not None and message.subtype not in HUMAN_SUBTYPES:
        return Decision("none", f"system message ({message.subtype})")
    if not message.user:
        return Decision("none", "message without an author")
    return None


def held_by_limits(channel: ChannelFacts, history: HistoryFacts, caps: Caps, now: datetime) -> str | None:
    """Why the channel cooldown or the author's daily cap holds a reply back now, or None when neither does."""
    cooldown = caps.cooldown_minutes if channel.cooldown_minutes is None else channel.cooldown_minutes
    if history.last_reply_at is not None and cooldown > 0:
        quiet_until = history.last_reply_at + timedelta(minutes=cooldown)
        if now < quiet_until:
            left = max(1, int((quiet_until - now).total_seconds() // 60))
            return f"channel cooldown ({left} min left of {cooldown})"
    if history.user_replies_today >= caps.user_daily_cap:
        return f"daily cap reached for this author ({caps.user_daily_cap})"
    return None


def decide(
    detection: Detection,
    card_mode: CardMode,
    message: MessageFacts,
    channel: ChannelFacts,
    history: HistoryFacts,
    caps: Caps,
    now: datetime,
) -> Decision:
    """Decide what Mirage does with one message. The first rule that applies wins:

    ignored messages and non-claims get nothing; an 'off' channel and a muted author are left alone;
    a probable claim (below the reply tier) is only logged, as a shadow incident; shadow cards and shadow
    channels only log; one reply per thread per card; the channel cooldown and the author's daily cap turn a post
    into a log entry; otherwise the channel's mode says how to answer.
    """
    skip = ignored(message)
    if skip is not None:
        return skip
    if detection.card_id is None or not (detection.fired or detection.tier == "probable"):
        return Decision("none", f"no claim: {detection.reason}" if detection.reason else "no claim")
    if channel.mode == "off":
        return Decision("none", "Mirage is off in this channel")
    if history.user_muted:
        return Decision("none", "the author muted Mirage")
    if not detection.fired:
        return Decision("log", f"probable {detection.card_id} claim, below the reply tier: logged, not posted")
    if card_mode == "shadow":
        return Decision("log", f"{detection.card_id} is a shadow card")
    if channel.mode == "shadow":
        return Decision("log", "channel is in shadow mode")
    if history.replied_in_thread:
        return Decision("log", f"already asked about {detection.card_id} in this thread")
    held = held_by_limits(channel, history, caps, now)
    if held is not None:
        return Decision("log", held)
    if channel.mode == "ephemeral":
        return Decision("ephemeral", "claim detected; channel answers privately", message.thread_ts)
    if channel.mode == "reaction":
        return Decision("reaction", "claim detected; channel gets a reaction only")
    return Decision("reply", "claim detected", message.thread_key)
