"""Find cards by their names, ids and text, best first, with light stemming ("scoring" finds "scored")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.catalog import Card, Catalog

WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ers", "er", "est", "ies", "es", "s", "ly")
STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "so",
    "that", "the", "this", "to", "was", "we", "with",
})
WEIGHTS = (("id", 10.0), ("name", 4.0), ("aka", 3.0), ("summary", 2.0), ("body", 1.0))


def stem(word: str) -> str:
    """A light English stem: lower-case, one common suffix removed, keeping at least three letters."""
    word = word.lower()
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text.lower()) if w not in STOP}


def _fields(card: Card) -> dict[str, Iterable[str]]:
    return {
        "id": [card.id],
        "name": [card.name],
        "aka": card.also_known_as,
        "summary": [card.summary],
        "body": [*card.notice, *card.questions, card.first_move, card.counter_move, *card.avoid,
                 *card.not_a_problem_when, *card.examples.match],
    }


def score(card: Card, query: str) -> float:
    wanted = stems(query)
    if not wanted:
        return 0.0
    fields = _fields(card)
    total = 0.0
    for name, weight in WEIGHTS:
        found = stems(" ".join(fields[name]))
        total += weight * len(wanted & found)
    if query.strip().casefold() in (card.id.casefold(), card.name.casefold()):
        total += 100.0
    return total


def search(catalog: Catalog, query: str) -> list[Card]:
    """The cards matching `query`, best first (ties by id); an empty list when nothing matches."""
    scored = [(score(card, query), card) for card in catalog.cards]
    return [card for s, card in sorted(scored, key=lambda pair: (-pair[0], pair[1].id)) if s > 0]
