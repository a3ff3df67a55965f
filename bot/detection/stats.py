"""Which catalog phrases fire on a labelled file, on claims and on non-claims, and which never fire. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.detection.detector import Detector


@dataclass(frozen=True, slots=True)
class PhraseStats:
    owner: str  # the lexicon name or card id
    label: str
    phrase: str  # as matched, lowercased
    on_claims: int
    on_others: int


def phrase_stats(detector: Detector, items: Iterable[tuple[str, bool]]) -> list[PhraseStats]:
    """Hits per (owner, label, phrase) over `items` (text, is_claim), the most frequent first."""
    claims: Counter[tuple[str, str, str]] = Counter()
    others: Counter[tuple[str, str, str]] = Counter()
    for text, is_claim in items:
        for hit in detector.reading_of(text).hits:
            key = (hit.source, hit.label, hit.text.lower())
            (claims if is_claim else others)[key] += 1
    keys = sorted(set(claims) | set(others), key=lambda k: (-(claims[k] + others[k]), k))
    return [PhraseStats(*k, claims[k], others[k]) for k in keys]


def silent_phrases(catalog: Catalog, fired: Iterable[PhraseStats]) -> list[tuple[str, str]]:
    """(owner, phrase) for every literal phrase of the catalog that never matched (patterns are not listed)."""
    seen = {(s.owner, s.phrase) for s in fired}
    silent: list[tuple[str, str]] = []
    for lexicon in catalog.lexicons.values():
        silent += [(lexicon.name, t) for t in lexicon.terms if (lexicon.name, t.lower()) not in seen]
    for card in catalog.cards:
        for cue in card.detect.cues:
            silent += [(card.id, p) for p in cue.phrases if (card.id, p.lower()) not in seen]
    return silent
