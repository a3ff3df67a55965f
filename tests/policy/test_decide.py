"""Table tests of the reply policy: every rule, its order, and the thread each answer goes to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.detection import Detection
from bot.policy import Caps, ChannelFacts, Decision, HistoryFacts, MessageFacts, decide, ignored
from bot.policy.model import CHANNEL_MODES, HUMAN_SUBTYPES

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
CLAIM = Detection(fired=True, card_id="FM-16", confidence=0.8, triggers=("scored highest on", "MMLU"))
QUIET = Detection(fired=False, reason="no benchmark or eval reference")
TOP = MessageFacts(ts="1700000000.000100", user="U1")
IN_THREAD = MessageFacts(ts="1700000050.000200", user="U1", thread_ts="1700000000.000100")
CAPS = Caps(cooldown_minutes=30, user_daily_cap=3)
DEFAULT_CHANNEL = ChannelFacts()
NO_HISTORY = HistoryFacts()


def run(
    detection: Detection = CLAIM,
    card_mode: str = "live",
    message: MessageFacts = TOP,
    channel: ChannelFacts = DEFAULT_CHANNEL,
    history: HistoryFacts = NO_HISTORY,
    caps: Caps = CAPS,
) -> Decision:
    return decide(detection, card_mode, message, channel, history, caps, NOW)  # type: ignore[arg-type]


CASES: list[tuple[str, dict[str, object], str, str]] = [
    ("top-level claim", {}, "reply", "claim detected"),
    ("not a claim", {"detection": QUIET}, "none", "no claim: no benchmark or eval reference"),
    ("own message", {"message": replace(TOP, is_self=True)}, "none", "Mirage's own message"),
    ("bot message", {"message": replace(TOP, is_bot=True)}, "none", "message from a bot"),
    ("join", {"message": replace(TOP, subtype="channel_join")}, "none", "system message (channel_join)"),
    ("topic", {"message": replace(TOP, subtype="channel_topic")}, "none", "system message (channel_topic)"),
    ("edit", {"message": replace(TOP, subtype="message_changed")}, "none", "system message (message_changed)"),
    ("delete", {"message": replace(TOP, subtype="message_deleted")}, "none", "system message (message_deleted)"),
    ("bot subtype", {"message": replace(TOP, subtype="bot_message")}, "none", "system message (bot_message)"),
    ("no author", {"message": replace(TOP, user=None)}, "none", "message without an author"),
    ("channel off", {"channel": ChannelFacts(mode="off")}, "none", "Mirage is off in this channel"),
    ("muted author", {"history": HistoryFacts(user_muted=True)}, "none", "the author muted Mirage"),
    ("shadow card", {"card_mode": "shadow"}, "log", "FM-16 is a shadow card"),
    ("shadow channel", {"channel": ChannelFacts(mode="shadow")}, "log", "channel is in shadow mode"),
    ("already replied", {"history": HistoryFacts(replied_in_thread=True)}, "log",
     "already asked about FM-16 in this thread"),
    ("cooldown", {"history": HistoryFacts(last_reply_at=NOW - timedelta(minutes=10))}, "log",
     "channel cooldown (20 min left of 30)"),
    ("cooldown over", {"history": HistoryFacts(last_reply_at=NOW - timedelta(minutes=30))}, "reply", "claim detected"),
    ("channel cooldown shorter", {"history": HistoryFacts(last_reply_at=NOW - timedelta(minutes=10)),
                                  "channel": ChannelFacts(cooldown_minutes=5)}, "reply", "claim detected"),
    ("channel cooldown longer", {"history": HistoryFacts(last_reply_at=NOW - timedelta(minutes=50)),
                                 "channel": ChannelFacts(cooldown_minutes=60)}, "log",
     "channel cooldown (10 min left of 60)"),
    ("cooldown zero", {"history": HistoryFacts(last_reply_at=NOW), "channel": ChannelFacts(cooldown_minutes=0)},
     "reply", "claim detected"),
    ("daily cap", {"history": HistoryFacts(user_replies_today=3)}, "log",
     "daily cap reached for this author (3)"),
    ("below cap", {"history": HistoryFacts(user_replies_today=2)}, "reply", "claim detected"),
    ("cap zero", {"caps": Caps(cooldown_minutes=30, user_daily_cap=0)}, "log", "daily cap reached for this author (0)"),
    ("ephemeral channel", {"channel": ChannelFacts(mode="ephemeral")}, "ephemeral",
     "claim detected; channel answers privately"),
    ("reaction channel", {"channel": ChannelFacts(mode="reaction")}, "reaction",
     "claim detected; channel gets a reaction only"),
    ("thread broadcast", {"message": replace(TOP, subtype="thread_broadcast")}, "reply", "claim detected"),
    ("file share", {"message": replace(TOP, subtype="file_share")}, "reply", "claim detected"),
    # order: the earlier rule wins
    ("bot beats claim", {"message": replace(TOP, is_bot=True), "card_mode": "shadow"}, "none", "message from a bot"),
    ("off beats shadow card", {"channel": ChannelFacts(mode="off"), "card_mode": "shadow"}, "none",
     "Mirage is off in this channel"),
    ("muted beats shadow", {"history": HistoryFacts(user_muted=True), "channel": ChannelFacts(mode="shadow")},
     "none", "the author muted Mirage"),
    ("shadow beats cooldown", {"channel": ChannelFacts(mode="shadow"), "history": HistoryFacts(last_reply_at=NOW)},
     "log", "channel is in shadow mode"),
    ("thread beats cooldown", {"history": HistoryFacts(replied_in_thread=True, last_reply_at=NOW)}, "log",
     "already asked about FM-16 in this thread"),
    ("cooldown beats cap", {"history": HistoryFacts(last_reply_at=NOW, user_replies_today=9)}, "log",
     "channel cooldown (30 min left of 30)"),
    ("cooldown applies to reactions", {"channel": ChannelFacts(mode="reaction"),
                                       "history": HistoryFacts(last_reply_at=NOW - timedelta(minutes=1))}, "log",
     "channel cooldown (29 min left of 30)"),
    ("cap applies to ephemeral", {"channel": ChannelFacts(mode="ephemeral"),
                                  "history": HistoryFacts(user_replies_today=5)}, "log",
     "daily cap reached for this author (3)"),
]


@pytest.mark.parametrize(("name", "overrides", "action", "reason"), CASES, ids=[c[0] for c in CASES])
def test_decision_table(name: str, overrides: dict[str, object], action: str, reason: str) -> None:
    """Each row: the facts, the action Mirage takes and the reason it records."""
    decision = run(**overrides)  # type: ignore[arg-type]
    assert (decision.action, decision.reason) == (action, reason)


def test_top_level_claim_is_answered_in_its_own_thread() -> None:
    """A top-level message gets its reply in a new thread under itself (thread_ts = its ts)."""
    assert run().thread_ts == TOP.ts


def test_thread_reply_is_answered_in_the_same_thread() -> None:
    """A message inside a thread gets its reply in that thread (thread_ts = the parent's ts)."""
    assert run(message=IN_THREAD).thread_ts == IN_THREAD.thread_ts


def test_ephemeral_stays_in_the_thread_it_came_from() -> None:
    """An ephemeral note for a thread reply is shown in that thread; for a top-level message, in the channel."""
    assert run(message=IN_THREAD, channel=ChannelFacts(mode="ephemeral")).thread_ts == IN_THREAD.thread_ts
    assert run(channel=ChannelFacts(mode="ephemeral")).thread_ts is None


def test_reaction_and_log_have_no_thread() -> None:
    """Reactions go on the message itself and logs post nothing, so neither carries a thread."""
    assert run(channel=ChannelFacts(mode="reaction")).thread_ts is None
    assert run(card_mode="shadow").thread_ts is None


@pytest.mark.parametrize("mode", CHANNEL_MODES)
def test_shadow_card_never_posts_in_any_channel_mode(mode: str) -> None:
    """A shadow card logs (or, in an 'off' channel, does nothing) whatever the channel's mode."""
    decision = run(card_mode="shadow", channel=ChannelFacts(mode=mode))  # type: ignore[arg-type]
    assert not decision.posts
    assert decision.action == ("none" if mode == "off" else "log")


@pytest.mark.parametrize("subtype", sorted(HUMAN_SUBTYPES))
def test_human_subtypes_are_not_ignored(subtype: str) -> None:
    """Broadcast thread replies, file shares and /me messages are people talking: not ignored."""
    assert ignored(replace(TOP, subtype=subtype)) is None


def test_posts_and_records_flags() -> None:
    """`posts` is true for reply/ephemeral/reaction only; `records` for everything but 'none'."""
    flags = {a: (Decision(a, "").posts, Decision(a, "").records)  # type: ignore[arg-type]
             for a in ("reply", "ephemeral", "reaction", "log", "none")}
    assert flags == {"reply": (True, True), "ephemeral": (True, True), "reaction": (True, True),
                     "log": (False, True), "none": (False, False)}


def test_thread_key_and_in_thread() -> None:
    """The thread key is the parent's ts in a thread and the message's own ts at top level."""
    assert (TOP.thread_key, TOP.in_thread) == (TOP.ts, False)
    assert (IN_THREAD.thread_key, IN_THREAD.in_thread) == (IN_THREAD.thread_ts, True)
    parent = MessageFacts(ts="1.0", user="U1", thread_ts="1.0")
    assert (parent.thread_key, parent.in_thread) == ("1.0", False)


def test_probable_claim_is_logged_never_posted() -> None:
    """A probable-tier claim (below the reply tier) is logged as a shadow incident, even in a replying channel."""
    probable = Detection(fired=False, card_id="RF-39", confidence=0.5, tier="probable", reason="probable: ...")
    decision = run(detection=probable)
    assert decision.action == "log" and "probable" in decision.reason
    assert run(detection=probable, channel=replace(DEFAULT_CHANNEL, mode="off")).action == "none"
