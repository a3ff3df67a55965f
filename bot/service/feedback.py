"""The feedback buttons under a reply: store the verdict, say whether the reply collapses to a thank-you."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from bot.service.deps import Deps
from bot.service.model import Answer, Verdict
from bot.slack.blocks import thanks_blocks, thanks_text
from bot.store import queries as q
from bot.store.models import Feedback, Incident

COLLAPSING: frozenset[Verdict] = frozenset({"not_relevant", "has_evidence"})
LABELS: dict[str, str] = {"helpful": "helpful", "not_relevant": "not relevant", "has_evidence": "we have user evidence"}


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    stored: bool
    collapse: Answer | None  # the one-line thank-you that replaces the reply, for verdicts that collapse it
    note: Answer | None = None  # an ephemeral word to the clicker, when there is something to say


def parse_incident_id(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def give_feedback(deps: Deps, incident_value: str | None, user_id: str, verdict: Verdict) -> FeedbackResult:
    """Store `user_id`'s verdict on the incident named by the button's value (a later click replaces it)."""
    incident_id = parse_incident_id(incident_value)
    with deps.writing() as s:
        if incident_id is None or s.get(Incident, incident_id) is None:
            return FeedbackResult(False, None, Answer("I could not find that reply any more; thanks all the same."))
        before = s.scalars(select(col(Feedback.verdict)).where(
            col(Feedback.incident_id) == incident_id, col(Feedback.user_id) == user_id)).first()
        q.record_feedback(s, incident_id, user_id, verdict)
    changed = (Answer(f"You changed your answer from _{LABELS.get(before, before)}_ to _{LABELS[verdict]}_: "
                      "the new one counts.") if before is not None and before != verdict else None)
    if verdict in COLLAPSING:
        return FeedbackResult(True, Answer(thanks_text(verdict), thanks_blocks(verdict)), changed)
    return FeedbackResult(True, None, changed or Answer(thanks_text(verdict)))
