"""How rule evidence and the classifier's probability make one score, and where the tiers are cut. Pure.

score = w * p + (1 - w) * r, where p is the classifier's probability of a claim and r the rules' best-card score
(0 when no card cue matched), plus `rule_boost * r` when the rules fire on their own; when a rule veto applies (user
evidence, doubt, caution, reported speech, systems talk) the score is multiplied by (1 - veto).

The reply tier is the score at or above `reply`, or agreement: the rules fire on their own (no veto) with a score of
at least `agree_rule` while the classifier gives at least `agree_model`. Two readings that mostly err on different
messages are surer together than either alone. The weights, both cut-offs and the agreement bars are chosen on the
real-derived dev split by `mirage train` and recorded in the model's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.detection.model import Tier


@dataclass(frozen=True, slots=True)
class Blend:
    model_weight: float = 0.5
    veto: float = 0.5
    rule_boost: float = 0.0
    reply: float = 0.6  # at or above: the reply tier (the precision bar on the real-derived dev split, see train)
    probable: float = 0.45  # at or above (and below reply): the probable tier (precision about 0.8)
    agree_rule: float = 2.0  # rules firing at or above this score ... (above 1: no agreement path)
    agree_model: float = 2.0  # ... with the classifier at or above this probability: the reply tier too

    def score(self, rule_score: float, probability: float, vetoed: bool, rules_fire: bool = False) -> float:
        blended = self.model_weight * probability + (1.0 - self.model_weight) * rule_score
        if rules_fire:
            blended += self.rule_boost * rule_score
        return min(1.0, blended * (1.0 - self.veto) if vetoed else blended)

    def agrees(self, rule_score: float, probability: float, vetoed: bool, rules_fire: bool) -> bool:
        """The rules (firing, no veto) and the classifier both clear their agreement bars."""
        return rules_fire and not vetoed and rule_score >= self.agree_rule and probability >= self.agree_model

    def tier(self, score: float, agreed: bool = False) -> Tier | None:
        if score >= self.reply or agreed:
            return "reply"
        if score >= self.probable:
            return "probable"
        return None
