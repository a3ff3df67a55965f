"""Build the spaCy pipeline from the catalog: a blank English tokenizer and one SpanRuler holding every pattern."""

from __future__ import annotations

from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler

from bot.catalog import Catalog
from bot.catalog.patterns import key_phrases
from bot.catalog.schema import lexicon_label

SPANS_KEY = "mirage"
MAX_EXPANDED_PHRASES = 400


def ruler_patterns(catalog: Catalog, nlp: Language | None = None) -> list[dict[str, Any]]:
    """Every lexicon term and card cue as a SpanRuler pattern; the pattern's id says where it came from.

    With `nlp`, token patterns that are only fixed words (LOWER, or LOWER IN a short list, no operators) become
    phrase patterns: they match the same text, and the phrase matcher costs a fraction of the token matcher.
    """
    patterns: list[dict[str, Any]] = []

    def add(label: str, source: str, items: list[Any]) -> None:
        for item in items:
            phrases = None if isinstance(item, str) or nlp is None else as_phrases(nlp, item)
            for pattern in phrases if phrases is not None else [item]:
                patterns.append({"label": label, "pattern": pattern, "id": source})

    for lexicon in catalog.lexicons.values():
        label = lexicon_label(lexicon.name)
        add(label, lexicon.name, [*lexicon.terms, *lexicon.patterns])
    for card in catalog.cards:
        for cue in card.detect.cues:
            add(cue.label, card.id, [*cue.phrases, *cue.patterns])
    return patterns


def as_phrases(nlp: Language, pattern: list[dict[str, Any]]) -> list[str] | None:
    """The phrases a fixed-word token pattern stands for (LOWER words, optionally `OP: "?"`), or None when it is more
    than fixed words or expands to too many phrases."""
    options: list[list[str | None]] = []
    for token in pattern:
        if not set(token) <= {"LOWER", "OP"} or token.get("OP", "?") != "?":
            return None
        value = token.get("LOWER")
        if isinstance(value, str):
            words: list[str | None] = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
            words = [str(w) for w in value["IN"]]
        else:
            return None
        options.append([*words, None] if "OP" in token else words)
    expanded: list[list[str]] = [[]]
    for choice in options:
        expanded = [[*head, word] if word is not None else head for head in expanded for word in choice]
        if len(expanded) > MAX_EXPANDED_PHRASES:
            return None
    if any(not words for words in expanded):
        return None
    # only when the tokenizer splits each phrase back into exactly the words it was made of
    phrases = [" ".join(words) for words in expanded]
    if any(len(nlp.make_doc(phrase)) != len(words) for phrase, words in zip(phrases, expanded, strict=True)):
        return None
    return phrases


def build_pipeline(catalog: Catalog) -> Language:
    """A blank English pipeline (no downloaded model) whose SpanRuler validates every pattern as it is added."""
    nlp = spacy.blank("en")
    ruler = cast(
        SpanRuler,
        nlp.add_pipe(
            "span_ruler",
            config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "validate": True, "overwrite": True},
        ),
    )
    ruler.add_patterns(ruler_patterns(catalog, nlp))
    return nlp


def phrase_tokens(nlp: Language, catalog: Catalog, lexicon_names: tuple[str, ...]) -> list[list[str]]:
    """Token texts the named lexicons need (for the pre-filter): every term, and each pattern's key spellings."""
    phrases: list[list[str]] = []
    for name in lexicon_names:
        lexicon = catalog.lexicon(name)
        phrases += [[t.text for t in nlp.make_doc(term)] for term in lexicon.terms]
        for pattern in lexicon.patterns:
            keys = key_phrases(pattern)
            if keys is None:
                raise ValueError(f"lexicon {name}: every pattern needs one required token spelled out")
            phrases += [[t.text for spelling in key for t in nlp.make_doc(spelling)] for key in keys]
    return phrases
