"""Block Kit for everything Mirage shows, built with slack_sdk.models so Slack's limits are checked.

Every piece of text that did not come from Mirage itself is escaped (`&`, `<`, `>`), so a message quoted back can
never ping `@channel` or a user. Card text is escaped too: it is data, not markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.catalog import Card
from bot.reply import Reply, escape
from bot.service.model import Blocks, Glance, Verdict

SECTION_LIMIT = 3000
HEADER_LIMIT = 150

ACTION_HELPFUL = "mirage_helpful"
ACTION_NOT_RELEVANT = "mirage_not_relevant"
ACTION_HAS_EVIDENCE = "mirage_has_evidence"
ACTION_SHOW_CARD = "mirage_show_card"
FEEDBACK_ACTIONS: dict[str, Verdict] = {
    ACTION_HELPFUL: "helpful",
    ACTION_NOT_RELEVANT: "not_relevant",
    ACTION_HAS_EVIDENCE: "has_evidence",
}
REPLY_BLOCK_PREFIX = "mirage_reply:"  # + card id, on the actions block

THANKS: dict[Verdict, str] = {
    "helpful": "Thanks, glad it helped.",
    "not_relevant": "Thanks for the feedback: noted as not relevant here. I'll learn from it.",
    "has_evidence": "Thanks! Good to hear there's user evidence behind this. Carry on.",
}


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_clip(text)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_clip(text))])


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_clip(text, HEADER_LIMIT))


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {escape(item.strip())}" for item in items)


def to_dicts(blocks: Sequence[Block]) -> Blocks:
    """Validate each block against Slack's limits and return the JSON-ready dicts."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        block.validate_json()
        out.append(block.to_dict())
    return out


# ---- the reply to a claim -----------------------------------------------------------------------------------------


def reply_blocks(reply: Reply, incident_id: int | None) -> Blocks:
    """Lead, the best questions, the first move, why it matched, and the four feedback buttons."""
    value = str(incident_id) if incident_id is not None else "0"
    blocks: list[Block] = [
        _section(escape(reply.lead)),
        _section(_bullets(reply.questions)),
        _section(f"*First move:* {escape(reply.first_move)}"),
        _context(reply.why),
        ActionsBlock(
            block_id=f"{REPLY_BLOCK_PREFIX}{reply.card_id}",
            elements=[
                ButtonElement(text="Helpful", action_id=ACTION_HELPFUL, value=value, style="primary"),
                ButtonElement(text="Not relevant", action_id=ACTION_NOT_RELEVANT, value=value),
                ButtonElement(text="We have user evidence", action_id=ACTION_HAS_EVIDENCE, value=value),
                ButtonElement(text="Show the card", action_id=ACTION_SHOW_CARD, value=reply.card_id),
            ],
        ),
    ]
    return to_dicts(blocks)


def reply_fallback(reply: Reply) -> str:
    """The notification text of a reply: the lead only (escaped)."""
    return escape(reply.lead)


def thanks_text(verdict: Verdict) -> str:
    return THANKS[verdict]


def thanks_blocks(verdict: Verdict) -> Blocks:
    """The one-line thank-you a reply collapses to after 'Not relevant' or 'We have user evidence'."""
    return to_dicts([_context(thanks_text(verdict))])


# ---- cards, help, lists -------------------------------------------------------------------------------------------


def card_text(card: Card) -> str:
    """The whole card as mrkdwn (escaped), for /mirage <card>, 'Show the card' and console mode."""
    parts = [
        f"*{card.id} {escape(card.name)}* ({card.kind_label.lower()}, severity {card.severity}"
        f"{', shadow mode' if card.mode == 'shadow' else ''})",
        escape(card.summary.strip()),
    ]
    if card.also_known_as:
        parts.append("_Also known as:_ " + escape(", ".join(card.also_known_as)))
    parts += ["*What you notice*", _bullets(card.notice), "*Questions to ask*", _bullets(card.questions)]
    parts += [f"*First move:* {escape(card.first_move.strip())}", f"*Counter-move:* {escape(card.counter_move)}"]
    if card.avoid:
        parts += ["*Avoid*", _bullets(card.avoid)]
    if card.not_a_problem_when:
        parts += ["*Not a problem when*", _bullets(card.not_a_problem_when)]
    if card.related:
        parts.append("_Related:_ " + escape(", ".join(card.related)))
    return "\n".join(parts)


def card_blocks(card: Card) -> Blocks:
    blocks: list[Block] = [_header(f"{card.id} {card.name}"), _section(escape(card.summary.strip()))]
    blocks.append(_section("*What you notice*\n" + _bullets(card.notice)))
    blocks.append(_section("*Questions to ask*\n" + _bullets(card.questions)))
    blocks.append(_section(f"*First move:* {escape(card.first_move.strip())}\n"
                           f"*Counter-move:* {escape(card.counter_move)}"))
    extra: list[str] = []
    if card.avoid:
        extra.append("*Avoid*\n" + _bullets(card.avoid))
    if card.not_a_problem_when:
        extra.append("*Not a problem when*\n" + _bullets(card.not_a_problem_when))
    if extra:
        blocks.append(_section("\n".join(extra)))
    meta = f"{card.kind_label} · severity {card.severity} · {'shadow (logs only)' if card.mode == 'shadow' else 'live'}"
    if card.related:
        meta += " · related: " + escape(", ".join(card.related))
    blocks.append(_context(meta))
    return to_dicts(blocks)


def card_list_text(cards: Sequence[Card]) -> str:
    if not cards:
        return "No cards found."
    return "\n".join(f"• *{c.id}* {escape(c.name)}: {escape(c.counter_move)}" for c in cards)


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


def text_blocks(text: str) -> Blocks:
    """Plain mrkdwn text as section blocks, split on line boundaries to respect the per-section limit."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT and current:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return to_dicts([_section(chunk) for chunk in chunks[:50]])


# ---- stats and App Home -------------------------------------------------------------------------------------------


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


def home_view(cards: Sequence[Card], glance: Glance, channels: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The App Home tab: what Mirage does, the catalog, the workspace at a glance, watched channels."""
    watched = "\n".join(f"• <#{escape(ch)}>: {escape(mode)}" for ch, mode in channels) or (
        "No channels yet: invite Mirage to a channel with `/invite @Mirage`."
    )
    blocks: list[Block] = [
        _header("Mirage"),
        _section("When a conversation leans on a benchmark score alone (\"it scored highest on MMLU, let's ship\"), "
                 "Mirage asks, in the thread, a couple of questions about real user evidence. It never scolds, "
                 "answers at most once per thread per pattern, and can be quieted with `/mirage mute` or "
                 "`/mirage mode`."),
        DividerBlock(),
        _section("*The catalog*\n" + card_list_text(cards)),
        DividerBlock(),
        _section(glance_text(glance)),
        DividerBlock(),
        _section("*Channels Mirage watches*\n" + watched),
        _context("Type `/mirage help` in any channel for the commands."),
    ]
    view = View(type="home", blocks=blocks)
    view.validate_json()
    return view.to_dict()
