"""What the services hand back to whoever talks to Slack (the Bolt listeners or the console). Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.policy import Decision
from bot.reply import Reply

Blocks = list[dict[str, Any]]
Verdict = Literal["helpful", "not_relevant", "has_evidence"]
VERDICTS: tuple[Verdict, ...] = ("helpful", "not_relevant", "has_evidence")


@dataclass(frozen=True, slots=True)
class Answer:
    """A message to show: mrkdwn `text` (also the notification fallback) and optional Block Kit `blocks`.

    `public` answers are posted in the channel (`in_channel`); the rest are ephemeral to the caller.
    """

    text: str
    blocks: Blocks | None = None
    public: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one message came to: the decision, and what to post if it posts anything.

    `incident_id` is set when the claim was recorded; `duplicate` when the event was already handled
    (a Slack retry), in which case nothing must be posted again. `resume`: an earlier attempt recorded the incident
    but never recorded its post; the caller looks for that post before posting (see bot.slack.posting).
    """

    decision: Decision
    incident_id: int | None = None
    reply: Reply | None = None
    answer: Answer | None = None
    duplicate: bool = False
    fired: bool = False  # the detector found a claim (whatever the policy then decided)
    resume: bool = False  # recorded by an earlier attempt whose post is unconfirmed: reconcile before posting

    @property
    def should_post(self) -> bool:
        return self.decision.posts and not self.duplicate and self.answer is not None


@dataclass(frozen=True, slots=True)
class Glance:
    """A workspace's or channel's recent activity, for /mirage stats and the App Home tab."""

    weeks: int
    claims_by_card: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    benchmark_messages: int = 0
    user_outcome_messages: int = 0
    feedback: dict[str, int] = field(default_factory=dict)

    @property
    def claims(self) -> int:
        return sum(self.claims_by_card.values())
