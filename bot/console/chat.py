"""A terminal chat with Mirage (as Hubot's shell adapter or Errbot's text backend): type messages as if in a channel,
see Mirage's replies as text, use `/mirage ...`. Same services and store as in Slack."""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from bot.policy import HistoryFacts, MessageFacts
from bot.policy.decide import held_by_limits
from bot.reply import reply_text
from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.service.feedback import give_feedback
from bot.service.messages import IncomingMessage, handle_message
from bot.service.model import VERDICTS, Outcome, Verdict
from bot.storable import storable_text
from bot.store.engine import session_scope
from bot.store.history import last_reply_at, replies_by_user_since

WORKSPACE = "console"
CHANNEL = "console"
BANNER = """Mirage console: type messages as if in a Slack channel; Mirage answers here.
  > text              reply in the thread of your last message
  /mirage help        Mirage's commands (list, check, search, stats, mode, mute, ...)
  /feedback helpful|not_relevant|has_evidence   answer Mirage's last reply
  /user NAME          speak as someone else      /quit  leave (or Ctrl-D)
  /limits on|off      Slack's channel cooldown and daily cap (off here: every claim gets its reply)"""
MARKUP = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def unescape(text: str) -> str:
    """Slack's three escapes turned back into characters, for a terminal."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _markup(found: re.Match[str]) -> str:
    sigil, target, label = found.group(1), found.group(2), found.group(3)
    if sigil == "#":
        return f"#{label or target}"
    if sigil == "@":
        return f"@{label or target}"
    if sigil == "!":
        return label or f"@{target.split('^')[0]}"
    return f"{label} ({target})" if label and label != target else target


def readable(text: str) -> str:
    """Slack mrkdwn for a terminal: <#C1|name> as #name, <@U1> as @U1, <!here> as @here, <url|text> as
    "text (url)", then the escapes undone (escaped user text never turns into markup)."""
    return unescape(MARKUP.sub(_markup, text))


def without_limits(deps: Deps) -> Deps:
    """The same services with no channel cooldown and no daily cap: the console is for trying Mirage."""
    relaxed = deps.settings.model_copy(update={"cooldown_minutes": 0, "user_daily_cap": sys.maxsize})
    return dataclasses.replace(deps, settings=relaxed)


@dataclass
class Console:
    deps: Deps
    out: TextIO
    user: str = "you"
    threads: dict[str, list[str]] = field(default_factory=dict)  # thread ts -> texts, oldest first
    last_top: str | None = None
    last_incident: int | None = None
    limits: bool = False  # True: Slack's cooldown and daily cap apply here too (`/limits on`)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _relaxed: Deps | None = None

    @property
    def services(self) -> Deps:
        """The deps messages go through: as in Slack with limits on, without cooldown and cap otherwise."""
        if self.limits:
            return self.deps
        if self._relaxed is None:
            self._relaxed = without_limits(self.deps)
        return self._relaxed

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._seq):06d}"

    def run(self, lines: Iterable[str], banner: bool = True) -> None:
        if banner:
            self.say(BANNER)
        for raw in lines:
            if not self.line(raw.rstrip("\r\n")):
                break

    def line(self, text: str) -> bool:
        """Handle one typed line; False when the user asked to leave. NULs and lone surrogates (bytes that were not
        UTF-8 come in as surrogates) read as U+FFFD, as in Slack events."""
        stripped = storable_text(text)[0].strip()
        if not stripped:
            return True
        if stripped in ("/quit", "/exit"):
            return False
        if stripped.startswith("/mirage"):
            answer = run_command(self.deps, CommandCall(WORKSPACE, CHANNEL, self.user, stripped[len("/mirage"):]))
            self.say(f"mirage{'' if answer.public else ' (only you can see this)'}:\n{readable(answer.text)}")
        elif stripped.startswith("/feedback"):
            self._feedback(stripped[len("/feedback"):].strip())
        elif stripped.startswith("/user"):
            self.user = stripped[len("/user"):].strip() or "you"
            self.say(f"(you are now {self.user})")
        elif stripped.startswith("/limits"):
            self._limits(stripped[len("/limits"):].strip().lower())
        elif stripped.startswith("/help"):
            self.say(BANNER)
        elif stripped.startswith(">"):
            self._message(stripped[1:].strip(), in_thread=True)
        else:
            self._message(stripped, in_thread=False)
        return True

    def _message(self, text: str, in_thread: bool) -> None:
        ts = self._ts()
        thread_ts = self.last_top if in_thread else None
        if in_thread and thread_ts is None:
            self.say("(no message to reply to yet: this goes to the channel)")
        if thread_ts is None:
            self.last_top = ts
        thread = self.threads.setdefault(thread_ts or ts, [])
        earlier = list(thread)
        message = IncomingMessage(WORKSPACE, CHANNEL, f"console-{uuid.uuid4()}", text,
                                  MessageFacts(ts=ts, user=self.user, thread_ts=thread_ts))
        slack_history = None if self.limits else self._history()
        outcome = handle_message(self.services, message, fetch_thread=lambda: earlier, source="console")
        thread.append(text)
        self._show(outcome)
        if slack_history is not None and outcome.decision.posts and not outcome.duplicate:
            held = held_by_limits(self.deps.channel_facts(WORKSPACE, CHANNEL), slack_history, self.deps.caps,
                                  self.deps.clock())
            if held is not None:
                self.say(f"(in Slack this reply would have been held back: {held}; `/limits on` to try that here)")

    def _history(self) -> HistoryFacts:
        """What Slack's limits would look at: the console channel's last reply and this person's replies today."""
        now = self.deps.clock()
        midnight = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
        with session_scope(self.deps.engine) as s:
            return HistoryFacts(last_reply_at=last_reply_at(s, WORKSPACE, CHANNEL),
                                user_replies_today=replies_by_user_since(s, WORKSPACE, self.user, midnight))

    def _limits(self, word: str) -> None:
        if word in ("on", "off"):
            self.limits = word == "on"
        caps = self.deps.caps
        if self.limits:
            self.say(f"(limits on, as in Slack: a {caps.cooldown_minutes}-minute channel cooldown and "
                     f"{caps.user_daily_cap} replies per person per day; `/limits off` to lift them)")
        else:
            self.say("(limits off: every claim gets its reply; Mirage says when Slack's cooldown or daily cap "
                     "would have held it back; `/limits on` to apply them)")

    def _show(self, outcome: Outcome) -> None:
        action = outcome.decision.action
        if outcome.incident_id is not None:
            self.last_incident = outcome.incident_id
        if action == "none":
            return
        if action == "log":
            self.say(f"(mirage noticed a claim but stays quiet: {outcome.decision.reason})")
            return
        if action == "reaction":
            self.say("(mirage reacted :mag: to your message)")
            return
        if outcome.reply is None:
            return
        where = "in the thread" if action == "reply" else "only you can see this"
        self.say(f"mirage ({where}):\n{readable(reply_text(outcome.reply))}")
        self.say("  [Helpful] [Not relevant] [We have user evidence] [Show the card]  (/feedback ...)")

    def _feedback(self, word: str) -> None:
        verdict = word.lower().replace(" ", "_")
        if verdict not in VERDICTS:
            self.say(f"(say /feedback {' | '.join(VERDICTS)})")
            return
        if self.last_incident is None:
            self.say("(no Mirage reply to answer yet)")
            return
        chosen: Verdict = verdict
        result = give_feedback(self.deps, str(self.last_incident), self.user, chosen, workspace_id=WORKSPACE,
                               channel_id=CHANNEL)
        for shown in (result.collapse, result.note):
            if shown is not None:
                self.say(f"mirage: {readable(shown.text)}")
