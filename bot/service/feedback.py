"""The feedback buttons under a reply: store the verdict, say whether the reply collapses to a thank-you."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from bot.domain import COLLAPSING_VERDICTS, Verdict
from bot.service.deps import Deps
from bot.service.model import Answer
from bot.service.texts import thanks_text
from bot.store.feedback import record_feedback
from bot.store.models import Feedback, Incident

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


def give_feedback(
    deps: Deps, incident_value: str | None, user_id: str, verdict: Verdict, *, workspace_id: str, channel_id: str
) -> FeedbackResult:
    """Store `user_id`'s verdict on the incident named by the button's value (a later click replaces it).

    The click acts only on an incident of the same workspace and channel as the click: a button value naming
    another channel's or workspace's incident is answered like a vanished one, and nothing is stored.
    """
    incident_id = parse_incident_id(incident_value)
    with deps.writing() as s:
        incident = s.get(Incident, incident_id) if incident_id is not None else None
        if incident is None or incident_id is None or (incident.workspace_id, incident.channel_id) != (
            workspace_id, channel_id
        ):
            return FeedbackResult(False, None, Answer("I could not find that reply any more; thanks all the same."))
        before = s.scalars(select(col(Feedback.verdict)).where(
            col(Feedback.incident_id) == incident_id, col(Feedback.user_id) == user_id)).first()
        record_feedback(s, incident_id, user_id, verdict)
    changed = (Answer(f"You changed your answer from _{LABELS.get(before, before)}_ to _{LABELS[verdict]}_: "
                      "the new one counts.") if before is not None and before != verdict else None)
    if verdict in COLLAPSING_VERDICTS:
        return FeedbackResult(True, Answer(thanks_text(verdict), thanks=verdict), changed)
    return FeedbackResult(True, None, changed or Answer(thanks_text(verdict)))
