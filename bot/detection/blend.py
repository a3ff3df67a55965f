"""How rule evidence and the classifier's probability make one score, and where the tiers are cut. Pure.

score = w * p + (1 - w) * r, where p is the classifier's probability of a claim and r the rules' best-card score
(0 when no card cue matched); when a rule veto applies (user evidence, doubt, caution, reported speech, systems
talk) the score is multiplied by (1 - veto). The weights and both cut-offs are chosen on the real-derived dev split
by `mirage train` and recorded in the model's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.detection.model import Tier


@dataclass(frozen=True, slots=True)
class Blend:
    model_weight: float = 0.5
    veto: float = 0.5
    reply: float = 0.6  # at or above: the reply tier (precision >= 0.95 on the real-derived dev split)
    probable: float = 0.45  # at or above (and below reply): the probable tier (precision about 0.8)

    def score(self, rule_score: float, probability: float, vetoed: bool) -> float:
        blended = self.model_weight * probability + (1.0 - self.model_weight) * rule_score
        return blended * (1.0 - self.veto) if vetoed else blended

    def tier(self, score: float) -> Tier | None:
        if score >= self.reply:
            return "reply"
        if score >= self.probable:
            return "probable"
        return None
