"""`/mirage ...`: every subcommand answers with text (and blocks); unknown input gets the help, never an error."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.build import build_digest
from bot.digest.render import to_text
from bot.digest.week import IsoWeek
from bot.mrkdwn import escape, neutralise, user_mrkdwn
from bot.policy import CHANNEL_MODES
from bot.reply import compose_reply, reply_text
from bot.service.deps import Deps
from bot.service.model import Answer, Glance
from bot.service.search import search
from bot.service.texts import HELP_TEXT, card_list_text, card_text, glance_text
from bot.store import queries as q
from bot.store.digest_queries import load_digest_input
from bot.store.engine import session_scope

STATS_WEEKS = 4
DURATION = re.compile(r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.IGNORECASE)
UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
FOREVER_WORDS = frozenset({"", "forever", "always", "indefinitely"})


@dataclass(frozen=True, slots=True)
class CommandCall:
    workspace_id: str
    channel_id: str
    user_id: str
    text: str


def _answer(text: str, public: bool = False) -> Answer:
    return Answer(text=text, public=public)


def help_answer(prefix: str = "") -> Answer:
    return _answer(f"{prefix}\n{HELP_TEXT}".strip())


def parse_duration(text: str) -> timedelta | None:
    """'30m', '2h', '1 day', '1w' -> a timedelta; None when `text` is not a duration."""
    found = DURATION.match(text.strip())
    if not found:
        return None
    minutes = int(found.group(1)) * UNIT_MINUTES[found.group(2)[0].lower()]
    return timedelta(minutes=minutes) if minutes > 0 else None


def run_command(deps: Deps, call: CommandCall) -> Answer:
    """Answer one `/mirage` invocation. Never raises for bad input: it explains, or shows the help."""
    text = " ".join(call.text.split())
    word, _, rest = text.partition(" ")
    handler = HANDLERS.get(word.lower())
    if handler is not None:
        return handler(deps, call, rest.strip())
    if not word:
        return help_answer()
    card = deps.catalog.card(text)
    if card is not None:
        return Answer(text=card_text(card), card=card)
    return help_answer(f"I don't know `{user_mrkdwn(text[:100])}`. Here is what I can do:")


def _help(deps: Deps, call: CommandCall, rest: str) -> Answer:
    return help_answer()


def _list(deps: Deps, call: CommandCall, rest: str) -> Answer:
    return _answer("*Cards*\n" + card_list_text(deps.catalog.cards))


def _search(deps: Deps, call: CommandCall, rest: str) -> Answer:
    if not rest:
        return _answer("Tell me what to look for: `/mirage search leaderboard`.")
    found = search(deps.catalog, rest)
    if not found:
        return _answer(f"No card matches _{user_mrkdwn(rest[:100])}_. Try `/mirage list`.")
    return _answer(f"*Cards matching* _{user_mrkdwn(rest[:100])}_, best first\n" + card_list_text(found))


def _check(deps: Deps, call: CommandCall, rest: str) -> Answer:
    if not rest:
        return _answer("Give me a message to check: `/mirage check it scored highest on MMLU, let's ship it`.")
    detection = deps.detector.detect(rest)
    card = deps.catalog.card(detection.card_id) if detection.fired and detection.card_id else None
    if card is None:
        return _answer(f"No claim here: {user_mrkdwn(detection.reason)}.")
    lines = [
        f"*Claim:* {card.id} {escape(card.name)} (confidence {detection.confidence:.2f})",
        f"*Because:* {user_mrkdwn(detection.reason)}",
    ]
    if card.mode == "shadow":
        lines.append("_This card is in shadow mode: Mirage would log this, not reply._")
    lines += ["*Mirage would reply:*", reply_text(compose_reply(card, detection, rest))]
    return _answer("\n".join(lines))


def glance_since(deps: Deps, workspace_id: str, channel_ids: list[str], since: datetime) -> Glance:
    """Claims, balance and feedback summed over `channel_ids` since `since`."""
    glance = Glance(weeks=STATS_WEEKS)
    with session_scope(deps.engine) as s:
        for channel_id in channel_ids:
            stats = q.channel_stats(s, workspace_id, channel_id, since)
            for card, n in stats.claims_by_card.items():
                glance.claims_by_card[card] = glance.claims_by_card.get(card, 0) + n
            for verdict, n in stats.feedback.items():
                glance.feedback[verdict] = glance.feedback.get(verdict, 0) + n
            glance = Glance(
                weeks=STATS_WEEKS, claims_by_card=glance.claims_by_card, feedback=glance.feedback,
                messages=glance.messages + stats.messages,
                benchmark_messages=glance.benchmark_messages + stats.benchmark_messages,
                user_outcome_messages=glance.user_outcome_messages + stats.user_outcome_messages,
            )
    return glance


def _stats(deps: Deps, call: CommandCall, rest: str) -> Answer:
    since = deps.clock() - timedelta(weeks=STATS_WEEKS)
    glance = glance_since(deps, call.workspace_id, [call.channel_id], since)
    return _answer(f"*This channel* (<#{escape(call.channel_id)}>)\n" + glance_text(glance))


def _digest(deps: Deps, call: CommandCall, rest: str) -> Answer:
    """`digest on|off` opts this channel in or out of the weekly post; plain `digest` previews this week's."""
    choice = rest.strip().lower()
    if choice in ("on", "off"):
        with deps.writing() as s:
            q.set_digest(s, call.workspace_id, call.channel_id, choice == "on")
        deps.forget_channel(call.workspace_id, call.channel_id)
        said = (
            "will get Mirage's weekly digest (Mondays)" if choice == "on" else "will no longer get the weekly digest"
        )
        return _answer(f"<@{escape(call.user_id)}>: this channel {said}.", public=True)
    if choice:
        return _answer("Try `/mirage digest` (preview), `/mirage digest on` or `/mirage digest off`.")
    week = IsoWeek.of(deps.clock())
    with session_scope(deps.engine) as s:
        data = load_digest_input(s, call.workspace_id, week, examples_from=call.channel_id)
    digest = build_digest(data, deps.catalog, posted_in=call.channel_id)
    text = f"Preview of this week's digest ({week}):\n{neutralise(to_text(digest))}"
    return Answer(text=text, digest=digest)


def _mode(deps: Deps, call: CommandCall, rest: str) -> Answer:
    mode = rest.lower()
    if mode not in CHANNEL_MODES:
        with session_scope(deps.engine) as s:
            current = q.channel_setting(s, call.workspace_id, call.channel_id).mode
        return _answer(f"This channel's mode is *{current}*. Set it with "
                       f"`/mirage mode {'|'.join(CHANNEL_MODES)}`:\n"
                       "• reply: ask in the thread • ephemeral: only the author sees it • reaction: a :mag: only\n"
                       "• shadow: log for the digest, never post • off: leave this channel alone")
    with deps.writing() as s:
        q.set_channel_mode(s, call.workspace_id, call.channel_id, mode)
    deps.forget_channel(call.workspace_id, call.channel_id)
    return _answer(f"<@{escape(call.user_id)}> set Mirage to *{mode}* in this channel.", public=True)


def _mute(deps: Deps, call: CommandCall, rest: str) -> Answer:
    if rest.lower() in FOREVER_WORDS:
        until = None
    else:
        duration = parse_duration(rest)
        if duration is None:
            return _answer(f"I can't read `{user_mrkdwn(rest[:50])}` as a duration. Try `/mirage mute 2h`, "
                           "`/mirage mute 1w`, or `/mirage mute` (until you unmute).")
        until = deps.clock() + duration
    with deps.writing() as s:
        q.mute_user(s, call.workspace_id, call.user_id, until)
    when = "until you `/mirage unmute`" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"
    return _answer(f"Done: I won't reply to your messages {when}.")


def _unmute(deps: Deps, call: CommandCall, rest: str) -> Answer:
    with deps.writing() as s:
        was_muted = q.unmute_user(s, call.workspace_id, call.user_id)
    return _answer("Welcome back: I may ask about benchmark-only claims in your messages again."
                   if was_muted else "You weren't muted.")


HANDLERS: dict[str, Callable[[Deps, CommandCall, str], Answer]] = {
    "help": _help,
    "list": _list,
    "search": _search,
    "find": _search,
    "check": _check,
    "stats": _stats,
    "digest": _digest,
    "mode": _mode,
    "mute": _mute,
    "unmute": _unmute,
}
