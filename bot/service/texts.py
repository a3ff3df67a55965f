"""What Mirage says, as Slack mrkdwn text: the help, cards, card lists, the stats glance, thank-yous, a reply's
notification line. Plain strings, shown as they are in console mode and as fallback text in Slack; the Block Kit
layout of the same things lives in bot.slack.blocks. Card text is catalog data: escaped, never markup."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog import Card
from bot.domain import Verdict
from bot.mrkdwn import escape
from bot.reply import Reply
from bot.service.model import Glance

THANKS: dict[Verdict, str] = {
    "helpful": "Thanks, glad it helped.",
    "not_relevant": "Thanks for the feedback: noted as not relevant here. I'll learn from it.",
    "has_evidence": "Thanks! Good to hear there's user evidence behind this. Carry on.",
}

HELP_TEXT = "\n".join([
    "*Mirage* asks for user evidence when a conversation leans on benchmark scores alone.",
    "`/mirage help`: this help",
    "`/mirage list`: every card",
    "`/mirage FM-16` (or a card's name): the whole card",
    "`/mirage search <words>`: find cards by name, id and text",
    "`/mirage check <text>`: would Mirage reply to this, and why?",
    "`/mirage stats`: this channel over the last 4 weeks",
    "`/mirage digest [this|2026-W47]`: the digest of the last complete week (or the one named); "
    "`/mirage digest on|off`: the weekly post here",
    "`/mirage mode reply|ephemeral|reaction|shadow|off`: how Mirage answers in this channel",
    "`/mirage cooldown [10m|off|default]`: how long Mirage stays quiet here after a reply",
    "`/mirage mute [30m|2h|1d|1w]` / `/mirage unmute`: quiet Mirage for yourself",
])


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {escape(item.strip())}" for item in items)


def reply_fallback(reply: Reply) -> str:
    """The notification text of a reply: the lead only (escaped)."""
    return escape(reply.lead)


def thanks_text(verdict: Verdict) -> str:
    return THANKS[verdict]


def card_text(card: Card) -> str:
    """The whole card as mrkdwn (escaped), for /mirage <card>, 'Show the card' and console mode."""
    parts = [
        f"*{card.id} {escape(card.name)}* ({card.kind_label.lower()}, severity {card.severity}"
        f"{', shadow mode' if card.mode == 'shadow' else ''})",
        escape(card.summary.strip()),
    ]
    if card.also_known_as:
        parts.append("_Also known as:_ " + escape(", ".join(card.also_known_as)))
    parts += ["*What you notice*", bullets(card.notice), "*Questions to ask*", bullets(card.questions)]
    parts += [f"*First move:* {escape(card.first_move.strip())}", f"*Counter-move:* {escape(card.counter_move)}"]
    if card.avoid:
        parts += ["*Avoid*", bullets(card.avoid)]
    if card.not_a_problem_when:
        parts += ["*Not a problem when*", bullets(card.not_a_problem_when)]
    if card.related:
        parts.append("_Related:_ " + escape(", ".join(card.related)))
    return "\n".join(parts)


def card_list_text(cards: Sequence[Card]) -> str:
    if not cards:
        return "No cards found."
    return "\n".join(f"• *{c.id}* {escape(c.name)}: {escape(c.counter_move)}" for c in cards)


def glance_text(glance: Glance) -> str:
    """A few lines on claims, balance and feedback over the last `glance.weeks` weeks."""
    lines = [f"*Last {glance.weeks} weeks*"]
    if glance.claims:
        per_card = ", ".join(f"{card}: {n}" for card, n in sorted(glance.claims_by_card.items()))
        lines.append(f"Claims noticed: {glance.claims} ({per_card})")
    else:
        lines.append("Claims noticed: none")
    lines.append(f"Messages read: {glance.messages}; about benchmarks: {glance.benchmark_messages}; "
                 f"citing user outcomes: {glance.user_outcome_messages}")
    if glance.feedback:
        lines.append("Feedback: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(glance.feedback.items())))
    return "\n".join(lines)
