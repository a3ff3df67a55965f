"""What the services hand back to whoever talks to Slack (the Bolt listeners or the console). Plain data: no
Block Kit here. The Slack layer renders an Answer's domain objects as blocks (bot.slack.blocks.answer_blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalog import Card
from bot.digest.build import Digest
from bot.domain import VERDICTS as VERDICTS
from bot.domain import ChannelMode
from bot.domain import Verdict as Verdict
from bot.policy import Decision
from bot.reply import Reply


@dataclass(frozen=True, slots=True)
class Answer:
    """A message to show. `text` is the whole answer as mrkdwn (console mode shows it; in Slack it is the
    notification fallback); at most one of the domain objects says what the message shows in Slack:

    - `card`: the whole card; `reply` (+ `incident_id`, carried by the feedback buttons): the reply to a claim;
    - `digest`: a digest preview; `thanks`: the one-line thank-you a reply collapses to;
    - none of them: `text` itself, as sections.

    `public` answers are posted in the channel (`in_channel`); the rest are ephemeral to the caller.
    """

    text: str
    public: bool = False
    card: Card | None = None
    reply: Reply | None = None
    incident_id: int | None = None
    digest: Digest | None = None
    thanks: Verdict | None = None
    note: str = ""  # Mirage's own lead-in shown above a digest preview (the week rule, hints)


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


@dataclass(frozen=True, slots=True)
class HomeTab:
    """What the App Home tab shows: the catalog, the workspace at a glance, the channels Mirage watches."""

    cards: Sequence[Card]
    glance: Glance
    channels: Sequence[tuple[str, ChannelMode | str]]
