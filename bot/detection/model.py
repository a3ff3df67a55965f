"""What the detector says about one message. Plain data: no Slack, no database."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Detection:
    """The verdict on one message.

    `fired` is True when the message leans on a benchmark as its argument with no user evidence.
    `triggers` are the phrases, as written, that made it fire (or the strongest ones seen when it did not).
    `reason` says in one line why it fired or why it stayed quiet.
    `mentions_benchmark` / `cites_user_outcome` feed the per-channel balance counts whether or not it fired.
    """

    fired: bool
    card_id: str | None = None
    confidence: float = 0.0
    triggers: tuple[str, ...] = ()
    reason: str = ""
    mentions_benchmark: bool = False
    cites_user_outcome: bool = False
    cue_labels: tuple[str, ...] = field(default=())

    def as_scan_record(self) -> dict[str, object]:
        """The `mirage scan` JSON contract."""
        return {
            "fired": self.fired,
            "pattern": self.card_id if self.fired else None,
            "confidence": round(self.confidence, 3),
            "triggers": list(self.triggers) if self.fired else [],
        }


QUIET = Detection(fired=False, reason="no benchmark or eval reference")
