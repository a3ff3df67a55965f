"""Score detector verdicts against labelled messages: precision, recall and F1, per card and per kind. Pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    is_claim: bool
    pattern: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Labelled
    fired: bool
    pattern: str | None

    @property
    def correct(self) -> bool:
        return self.fired == self.item.is_claim


@dataclass(frozen=True, slots=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


@dataclass(frozen=True, slots=True)
class Report:
    overall: Scores
    per_card: dict[str, Scores]
    per_kind: dict[str, tuple[int, int]]  # kind -> (answered correctly, total)
    errors: tuple[Outcome, ...] = field(default=())
    attribution_accuracy: float = 1.0


def score(outcomes: list[Outcome]) -> Report:
    """Overall scores on claim vs no claim; per card, a hit needs the right card; per kind, the share right."""
    tp = sum(o.fired and o.item.is_claim for o in outcomes)
    fp = sum(o.fired and not o.item.is_claim for o in outcomes)
    fn = sum(not o.fired and o.item.is_claim for o in outcomes)
    tn = sum(not o.fired and not o.item.is_claim for o in outcomes)
    cards = sorted({o.item.pattern for o in outcomes if o.item.pattern} | {o.pattern for o in outcomes if o.pattern})
    per_card = {}
    for card in cards:
        gold = [o.item.is_claim and o.item.pattern == card for o in outcomes]
        pred = [o.fired and o.pattern == card for o in outcomes]
        per_card[card] = Scores(
            tp=sum(g and p for g, p in zip(gold, pred, strict=True)),
            fp=sum(p and not g for g, p in zip(gold, pred, strict=True)),
            fn=sum(g and not p for g, p in zip(gold, pred, strict=True)),
        )
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for o in outcomes:
        kind = o.item.kind or ("claim" if o.item.is_claim else "no_claim")
        totals[kind] += 1
        right[kind] += o.correct
    attributed = [o for o in outcomes if o.fired and o.item.is_claim and o.item.pattern]
    accuracy = sum(o.pattern == o.item.pattern for o in attributed) / len(attributed) if attributed else 1.0
    return Report(
        overall=Scores(tp, fp, fn, tn),
        per_card=per_card,
        per_kind={kind: (right[kind], totals[kind]) for kind in sorted(totals)},
        errors=tuple(o for o in outcomes if not o.correct),
        attribution_accuracy=accuracy,
    )
