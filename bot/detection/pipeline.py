"""Build the spaCy pipeline from the catalog: a blank English tokenizer and one SpanRuler holding every pattern."""

from __future__ import annotations

from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler

from bot.catalog import Catalog
from bot.catalog.patterns import key_phrases

SPANS_KEY = "mirage"
ANCHOR_LEXICONS = ("benchmarks", "eval_terms", "score_terms")


def lexicon_label(name: str) -> str:
    return name.upper()


def ruler_patterns(catalog: Catalog) -> list[dict[str, Any]]:
    """Every lexicon term and card cue as a SpanRuler pattern; the pattern's id says where it came from."""
    patterns: list[dict[str, Any]] = []
    for lexicon in catalog.lexicons.values():
        label = lexicon_label(lexicon.name)
        patterns += [{"label": label, "pattern": term, "id": lexicon.name} for term in lexicon.terms]
        patterns += [{"label": label, "pattern": p, "id": lexicon.name} for p in lexicon.patterns]
    for card in catalog.cards:
        for cue in card.detect.cues:
            patterns += [{"label": cue.label, "pattern": phrase, "id": card.id} for phrase in cue.phrases]
            patterns += [{"label": cue.label, "pattern": p, "id": card.id} for p in cue.patterns]
    return patterns


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
    ruler.add_patterns(ruler_patterns(catalog))
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
