"""The reply policy: pure rules deciding whether and how Mirage answers a detected claim."""

from bot.policy.decide import decide, ignored
from bot.policy.model import (
    CHANNEL_MODES,
    Action,
    Caps,
    CardMode,
    ChannelFacts,
    ChannelMode,
    Decision,
    HistoryFacts,
    MessageFacts,
)

__all__ = [
    "CHANNEL_MODES",
    "Action",
    "Caps",
    "CardMode",
    "ChannelFacts",
    "ChannelMode",
    "Decision",
    "HistoryFacts",
    "MessageFacts",
    "decide",
    "ignored",
]
