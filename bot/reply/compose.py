"""Compose the reply to a detected claim: a friendly lead, the best-fitting questions, the first move, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalog import Card
from bot.detection import Detection
from bot.mrkdwn import escape, user_mrkdwn

WORD = re.compile(r"[a-z]{4,}")
MAX_QUESTIONS = 3


@dataclass(frozen=True, slots=True)
class Reply:
    card_id: str
    card_name: str
    lead: str
    questions: tuple[str, ...]
    first_move: str
    triggers: tuple[str, ...]

    @property
    def why(self) -> str:
        """'Why this? It matched: *scored highest* + *MMLU*'; the triggers are user text: escaped and neutralised."""
        matched = " + ".join(f"*{user_mrkdwn(t)}*" for t in self.triggers) or "*a benchmark claim*"
        return f"Why this? It matched: {matched} ({self.card_id} {escape(self.card_name)})"


def best_questions(card: Card, message: str, limit: int = MAX_QUESTIONS) -> tuple[str, ...]:
    """The card's questions that share the most words with the message; the card's own order breaks ties."""
    words = set(WORD.findall(message.lower()))
    ranked = sorted(
        enumerate(card.questions),
        key=lambda item: (-len(words & set(WORD.findall(item[1].lower()))), item[0]),
    )
    chosen = sorted(ranked[:limit], key=lambda item: item[0])
    return tuple(question for _, question in chosen)


def compose_reply(card: Card, detection: Detection, message: str, limit: int = MAX_QUESTIONS) -> Reply:
    return Reply(
        card_id=card.id,
        card_name=card.name,
        lead=card.reply_lead,
        questions=best_questions(card, message, limit),
        first_move=card.first_move.strip(),
        triggers=detection.triggers,
    )


def reply_text(reply: Reply) -> str:
    """The reply as plain Slack mrkdwn text (fallback text, console mode, `mirage check`)."""
    lines = [reply.lead, *(f"• {q}" for q in reply.questions), f"First move: {reply.first_move}", reply.why]
    return "\n".join(lines)
