"""Block Kit for everything Mirage shows in Slack: the one presentation module, built with slack_sdk.models so
Slack's limits are checked. Services hand over domain objects (an Answer's card, reply, digest or thank-you; the
Home tab's data); this module lays them out. The words come from bot.service.texts and bot.digest.render.

Every piece of text that did not come from Mirage itself is escaped and neutralised (bot.mrkdwn), and every
mrkdwn object is `verbatim`, so a message quoted back can never ping `@channel`, a user, or become a link.
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
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.catalog import Card
from bot.digest.build import Digest
from bot.digest.render import slack_layout
from bot.domain import Verdict
from bot.mrkdwn import escape
from bot.reply import Reply
from bot.service.model import Answer, HomeTab
from bot.service.texts import bullets, card_list_text, glance_text, thanks_text

Blocks = list[dict[str, Any]]

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



def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> MarkdownTextObject:
    """A mrkdwn text object with `verbatim` on: Slack turns no bare URL, channel name or @here into a link or a
    ping; only markup Mirage wrote itself (`<#C1>`, `<@U1>`) is live."""
    return MarkdownTextObject(text=text, verbatim=True)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(_clip(text)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_mrkdwn(_clip(text))])


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_clip(text, HEADER_LIMIT))


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
        _section(bullets(reply.questions)),
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


def thanks_blocks(verdict: Verdict) -> Blocks:
    """The one-line thank-you a reply collapses to after 'Not relevant' or 'We have user evidence'."""
    return to_dicts([_context(thanks_text(verdict))])


# ---- cards, help, lists -------------------------------------------------------------------------------------------


def card_blocks(card: Card) -> Blocks:
    blocks: list[Block] = [_header(f"{card.id} {card.name}"), _section(escape(card.summary.strip()))]
    blocks.append(_section("*What you notice*\n" + bullets(card.notice)))
    blocks.append(_section("*Questions to ask*\n" + bullets(card.questions)))
    blocks.append(_section(f"*First move:* {escape(card.first_move.strip())}\n"
                           f"*Counter-move:* {escape(card.counter_move)}"))
    extra: list[str] = []
    if card.avoid:
        extra.append("*Avoid*\n" + bullets(card.avoid))
    if card.not_a_problem_when:
        extra.append("*Not a problem when*\n" + bullets(card.not_a_problem_when))
    if extra:
        blocks.append(_section("\n".join(extra)))
    meta = f"{card.kind_label} · severity {card.severity} · {'shadow (logs only)' if card.mode == 'shadow' else 'live'}"
    if card.related:
        meta += " · related: " + escape(", ".join(card.related))
    blocks.append(_context(meta))
    return to_dicts(blocks)


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


def home_view(tab: HomeTab) -> dict[str, Any]:
    """The App Home tab (views.publish payload): what Mirage does, the catalog, the workspace at a glance,
    watched channels."""
    cards, glance = tab.cards, tab.glance
    watched = "\n".join(f"• <#{escape(ch)}>: {escape(mode)}" for ch, mode in tab.channels) or (
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


# ---- digests and answers ------------------------------------------------------------------------------------------


def digest_blocks(digest: Digest) -> Blocks:
    """The digest's Slack layout (bot.digest.render.slack_layout) as validated Block Kit blocks."""
    blocks: list[Block] = []
    for kind, text in slack_layout(digest):
        if kind == "header":
            blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(text, HEADER_LIMIT), emoji=True)))
        elif kind == "divider":
            blocks.append(DividerBlock())
        elif kind == "context":
            blocks.append(_context(text))
        else:
            blocks.append(_section(text))
    return to_dicts(blocks)


def answer_blocks(answer: Answer) -> Blocks:
    """The blocks of any service Answer: its card, reply, digest or thank-you, else its text as sections."""
    if answer.card is not None:
        return card_blocks(answer.card)
    if answer.reply is not None:
        return reply_blocks(answer.reply, answer.incident_id)
    if answer.digest is not None:
        return [*(text_blocks(answer.note) if answer.note else []), *digest_blocks(answer.digest)]
    if answer.thanks is not None:
        return thanks_blocks(answer.thanks)
    return text_blocks(answer.text)
