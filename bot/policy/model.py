"""The facts the reply policy decides on, and its decision. Plain data: no Slack, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import CHANNEL_MODES as CHANNEL_MODES
from bot.domain import POSTING_ACTIONS as POSTING_ACTIONS
from bot.domain import Action as Action
from bot.domain import CardMode as CardMode
from bot.domain import ChannelMode as ChannelMode

# Subtypes that are still a person talking; every other subtype (joins, topic changes, edits, deletions, bot
# messages, ...) is a system event Mirage never answers.
HUMAN_SUBTYPES: frozenset[str] = frozenset({"thread_broadcast", "file_share", "me_message"})


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What the policy needs to know about the message itself."""

    ts: str
    user: str | None
    thread_ts: str | None = None
    subtype: str | None = None
    is_bot: bool = False
    is_self: bool = False

    @property
    def thread_key(self) -> str:
        """The thread a reply goes to: the message's thread, or the message itself when it is top-level."""
        return self.thread_ts or self.ts

    @property
    def in_thread(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """The channel's settings. `cooldown_minutes=None` means the workspace default."""

    mode: ChannelMode = "reply"
    cooldown_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """What Mirage already did: asked of the store only when a claim was detected."""

    replied_in_thread: bool = False
    last_reply_at: datetime | None = None
    user_replies_today: int = 0
    user_muted: bool = False


@dataclass(frozen=True, slots=True)
class Caps:
    """Workspace-wide limits (from Settings)."""

    cooldown_minutes: int = 30
    user_daily_cap: int = 3


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message, and why (the reason is stored with the incident)."""

    action: Action
    reason: str
    thread_ts: str | None = None

    @property
    def posts(self) -> bool:
        """True when Mirage shows something in Slack (a reply, an ephemeral note or a reaction)."""
        return self.action in POSTING_ACTIONS

    @property
    def records(self) -> bool:
        """True when the claim is kept as an incident (everything except 'none')."""
        return self.action != "none"
