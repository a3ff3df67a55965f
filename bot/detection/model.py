"""What the detector says about one message. Plain data: no Slack, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Tier = Literal["reply", "probable"]
TIERS: tuple[Tier, ...] = get_args(Tier)


@dataclass(frozen=True, slots=True)
class Detection:
    """The verdict on one message.

    `tier` is "reply" when the message leans on a benchmark as its argument with no user evidence and Mirage is sure
    enough to answer, "probable" when it likely does but Mirage should only log it, None otherwise.
    `fired` is True exactly for the "reply" tier. `card_id` is set for both tiers.
    `confidence` is the combined score (rules and model) that the tiers are cut from.
    `triggers` are the phrases, as written, that made it fire (or the strongest ones seen when it did not).
    `reason` says in one line why it fired or why it stayed quiet.
    `mentions_benchmark` / `cites_user_outcome` feed the per-channel balance counts whether or not it fired.
    `probability` is the trained classifier's probability of a claim (None when the model did not run).
    """

    fired: bool
    card_id: str | None = None
    confidence: float = 0.0
    triggers: tuple[str, ...] = ()
    reason: str = ""
    mentions_benchmark: bool = False
    cites_user_outcome: bool = False
    cue_labels: tuple[str, ...] = field(default=())
    tier: Tier | None = None
    probability: float | None = None

    def as_scan_record(self) -> dict[str, object]:
        """The `mirage scan` JSON contract: `fired` is true exactly for the reply tier; `tier` names the tier."""
        return {
            "fired": self.fired,
            "pattern": self.card_id if self.fired else None,
            "confidence": round(self.confidence, 3),
            "triggers": list(self.triggers) if self.fired else [],
            "tier": self.tier,
        }


QUIET = Detection(fired=False, reason="no benchmark or eval reference")
