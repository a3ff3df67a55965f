"""`/mirage ...`: every subcommand answers with text (and blocks); unknown input gets the help, never an error."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.build import build_digest
from bot.digest.hints import digest_failure_hint
from bot.digest.render import newest_data_hint, to_text
from bot.mrkdwn import escape, neutralise, user_mrkdwn
from bot.policy import CHANNEL_MODES
from bot.reply import compose_reply, reply_text
from bot.service.deps import Deps
from bot.service.model import Answer, Glance
from bot.service.search import search
from bot.service.texts import HELP_TEXT, card_list_text, card_text, glance_text
from bot.store.channels import channel_setting, set_channel_cooldown, set_channel_mode, set_digest
from bot.store.digest_queries import last_digest_run, latest_activity, load_digest_input
from bot.store.engine import session_scope
from bot.store.mutes import mute_user, unmute_user
from bot.store.stats import channel_stats
from bot.week import WEEK_RULE, choose_week

STATS_WEEKS = 4
CARD_ID = re.compile(r"^[A-Za-z]{2}-\d+$")
DURATION = re.compile(r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.IGNORECASE)
UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
FOREVER_WORDS = frozenset({"", "forever", "always", "indefinitely"})
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}


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
    if CARD_ID.match(text):
        ids = ", ".join(c.id for c in deps.catalog.cards)
        return _answer(f"There is no card {user_mrkdwn(text.upper()[:20])}; the cards are {ids}. "
                       "`/mirage list` shows them.")
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
            stats = channel_stats(s, workspace_id, channel_id, since)
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


def digest_schedule(deps: Deps) -> str:
    """When the weekly digest posts, from the settings: "Mondays at 09:00 (UTC)"."""
    st = deps.settings
    return f"{DAY_NAMES[st.digest_day_of_week]}s at {st.digest_hour:02d}:{st.digest_minute:02d} ({st.digest_tz})"


def _digest(deps: Deps, call: CommandCall, rest: str) -> Answer:
    """`digest on|off` opts this channel in or out of the weekly post; `digest [last|this|2026-W47]` shows a week's
    digest, by the same rule as `mirage digest`: the last complete week unless another is asked for."""
    choice = rest.strip().lower()
    if choice in ("on", "off"):
        with deps.writing() as s:
            set_digest(s, call.workspace_id, call.channel_id, choice == "on")
        deps.forget_channel(call.workspace_id, call.channel_id)
        said = (
            f"will get Mirage's weekly digest ({digest_schedule(deps)}; Mirage must be a member of the channel to "
            "post it: `/invite @Mirage`)" if choice == "on" else "will no longer get the weekly digest"
        )
        return _answer(f"<@{escape(call.user_id)}>: this channel {said}.", public=True)
    try:
        week = choose_week(choice, deps.clock())
    except ValueError:
        return _answer("Try `/mirage digest` (the last complete week), `/mirage digest this` (this week so far), "
                       "`/mirage digest 2026-W47`, `/mirage digest on` or `/mirage digest off`.")
    with session_scope(deps.engine) as s:
        data = load_digest_input(s, call.workspace_id, week, examples_from=call.channel_id)
        newest = latest_activity(s, call.workspace_id)
        run = last_digest_run(s, call.workspace_id, call.channel_id)
    digest = build_digest(data, deps.catalog, posted_in=call.channel_id)
    which = (f"{week}, {WEEK_RULE}; `/mirage digest this` for the week so far" if not choice or choice == "last"
             else f"{week}, as asked")
    head = f"Digest of {which}. It posts {digest_schedule(deps)} to the channels that opted in."
    hint = newest_data_hint(week, newest, "`/mirage digest {week}`") if digest.quiet else None
    if hint is not None:
        head += f"\n{hint}"
    if run is not None and run.status == "failed":
        failed = digest_failure_hint(f"<#{escape(call.channel_id)}>", run.error or "")
        if failed is not None:
            head += f"\n:warning: The {run.week} digest could not be posted here. {failed}."
    return Answer(text=f"{head}\n{neutralise(to_text(digest))}", digest=digest, note=head)


def _mode(deps: Deps, call: CommandCall, rest: str) -> Answer:
    mode = rest.lower()
    if mode not in CHANNEL_MODES:
        with session_scope(deps.engine) as s:
            current = channel_setting(s, call.workspace_id, call.channel_id).mode
        unknown = f"There is no mode `{user_mrkdwn(rest[:30])}`, so nothing changed. " if rest else ""
        return _answer(f"{unknown}This channel's mode is *{current}*. Set it with "
                       f"`/mirage mode {'|'.join(CHANNEL_MODES)}`:\n"
                       "• reply: ask in the thread • ephemeral: only the author sees it • reaction: a :mag: only\n"
                       "• shadow: log for the digest, never post • off: leave this channel alone")
    with deps.writing() as s:
        set_channel_mode(s, call.workspace_id, call.channel_id, mode)
    deps.forget_channel(call.workspace_id, call.channel_id)
    return _answer(f"<@{escape(call.user_id)}> set Mirage to *{mode}* in this channel.", public=True)


def _cooldown(deps: Deps, call: CommandCall, rest: str) -> Answer:
    """`cooldown 10m|2h|off|default`: this channel's quiet time after a reply (off: none; default: COOLDOWN_MINUTES)."""
    word = rest.lower()
    if not word:
        with session_scope(deps.engine) as s:
            own = channel_setting(s, call.workspace_id, call.channel_id).cooldown_minutes
        now = (f"{own} minutes (set for this channel)" if own is not None
               else f"{deps.settings.cooldown_minutes} minutes (the workspace default)")
        return _answer(f"After a reply Mirage stays quiet in this channel for {now}. Change it with "
                       "`/mirage cooldown 10m`, `/mirage cooldown off` or `/mirage cooldown default`.")
    if word in ("off", "none", "0"):
        minutes: int | None = 0
    elif word in ("default", "reset"):
        minutes = None
    else:
        duration = parse_duration(rest)
        if duration is None:
            return _answer(f"I can't read `{user_mrkdwn(rest[:50])}` as a duration. Try `/mirage cooldown 10m`, "
                           "`/mirage cooldown off` or `/mirage cooldown default`.")
        minutes = int(duration.total_seconds() // 60)
    with deps.writing() as s:
        set_channel_cooldown(s, call.workspace_id, call.channel_id, minutes)
    deps.forget_channel(call.workspace_id, call.channel_id)
    said = ("no cooldown" if minutes == 0 else f"the workspace default ({deps.settings.cooldown_minutes} min)"
            if minutes is None else f"a {minutes}-minute cooldown")
    text = f"<@{escape(call.user_id)}> set this channel to {said} after each reply."
    return _answer(text, public=True)


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
        mute_user(s, call.workspace_id, call.user_id, until)
    when = "until you `/mirage unmute`" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"
    return _answer(f"Done: I won't reply to your messages {when}.")


def _unmute(deps: Deps, call: CommandCall, rest: str) -> Answer:
    with deps.writing() as s:
        was_muted = unmute_user(s, call.workspace_id, call.user_id)
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
    "cooldown": _cooldown,
    "mute": _mute,
    "unmute": _unmute,
}
