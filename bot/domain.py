"""The values every layer shares, declared once as Literal types; each tuple is derived with typing.get_args.

Cards are live or shadow; a channel's mode says how Mirage answers there; the policy's action is what it did;
a verdict is how someone answered a nudge; a source says where an incident came from. Pure: no imports.
"""

from __future__ import annotations

from typing import Literal, get_args

CardMode = Literal["live", "shadow"]
ChannelMode = Literal["reply", "ephemeral", "reaction", "shadow", "off"]
Action = Literal["reply", "ephemeral", "reaction", "log", "none"]
Verdict = Literal["helpful", "not_relevant", "has_evidence"]
Source = Literal["live", "replay", "console"]
DigestStatus = Literal["claimed", "posted", "failed"]

CARD_MODES: tuple[CardMode, ...] = get_args(CardMode)
CHANNEL_MODES: tuple[ChannelMode, ...] = get_args(ChannelMode)
ACTIONS: tuple[Action, ...] = get_args(Action)
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
SOURCES: tuple[Source, ...] = get_args(Source)
DIGEST_STATUSES: tuple[DigestStatus, ...] = get_args(DigestStatus)

POSTING_ACTIONS: frozenset[Action] = frozenset({"reply", "ephemeral", "reaction"})  # shows something in Slack
COLLAPSING_VERDICTS: frozenset[Verdict] = frozenset({"not_relevant", "has_evidence"})  # the reply folds away
