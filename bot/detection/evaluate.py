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
    clarity: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Labelled
    fired: bool
    pattern: str | None
    confidence: float = 0.0
    tier: str | None = None

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
    average_precision: float = 0.0
    per_clarity: dict[str, Scores] = field(default_factory=dict)
    probable: Scores | None = None  # reply and probable tiers together, as if both fired


def counts(outcomes: list[Outcome], fired: list[bool] | None = None) -> Scores:
    """tp / fp / fn / tn of `fired` (default: each outcome's own) against the labels."""
    said = fired if fired is not None else [o.fired for o in outcomes]
    tp = sum(f and o.item.is_claim for o, f in zip(outcomes, said, strict=True))
    fp = sum(f and not o.item.is_claim for o, f in zip(outcomes, said, strict=True))
    fn = sum(not f and o.item.is_claim for o, f in zip(outcomes, said, strict=True))
    return Scores(tp, fp, fn, len(outcomes) - tp - fp - fn)


def average_precision(outcomes: list[Outcome]) -> float:
    """Average precision of the confidence ranking: the mean, over the claims, of the precision at each claim's
    rank when messages are ordered by confidence (a claim scored 0 counts at the bottom). 1.0 is a perfect ranking."""
    claims = sum(o.item.is_claim for o in outcomes)
    if not claims:
        return 1.0
    ranked = sorted(outcomes, key=lambda o: -o.confidence)
    hits = 0
    total = 0.0
    for rank, o in enumerate(ranked, start=1):
        if o.item.is_claim:
            hits += 1
            total += hits / rank
    return total / claims


def by_source(outcomes: list[Outcome]) -> list[tuple[str, int, int]]:
    """(source, errors, items) per source, the worst first."""
    errors: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for o in outcomes:
        key = o.item.source or "(none)"
        items[key] += 1
        errors[key] += not o.correct
    return sorted(((s, errors[s], items[s]) for s in items), key=lambda x: (-x[1], -x[2], x[0]))


def score(outcomes: list[Outcome]) -> Report:
    """Overall scores on claim vs no claim; per card, a hit needs the right card; per kind, the share right."""
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
    clarities = sorted({o.item.clarity for o in outcomes if o.item.clarity})
    per_clarity = {c: counts([o for o in outcomes if o.item.clarity == c]) for c in clarities}
    return Report(
        overall=counts(outcomes),
        per_card=per_card,
        per_kind={kind: (right[kind], totals[kind]) for kind in sorted(totals)},
        errors=tuple(o for o in outcomes if not o.correct),
        attribution_accuracy=accuracy,
        average_precision=average_precision(outcomes),
        per_clarity=per_clarity,
        probable=counts(outcomes, [o.fired or o.tier == "probable" for o in outcomes]),
    )
