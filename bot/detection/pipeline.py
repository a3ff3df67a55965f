"""Build the spaCy pipeline from the catalog: a blank English tokenizer and one span ruler holding every pattern.

The ruler is spaCy's SpanRuler (which validates every pattern as it is added) with one change for speed: spaCy's
token Matcher tries every pattern at every token, so the ruler runs each token pattern only on docs that hold one
of the spellings of its most selective required token (the same spans, found at a fraction of the cost).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from spacy.lang.en import English, EnglishDefaults
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span

from bot.catalog import Catalog
from bot.catalog.patterns import LITERAL_ATTRS, key_phrases, required_tokens
from bot.catalog.schema import lexicon_label
from bot.detection.prefilter import CJK, CJK_PUNCTUATION

SPANS_KEY = "mirage"
MAX_EXPANDED_PHRASES = 400
RULER_FACTORY = "mirage_span_ruler"
MAX_CACHED_MATCHERS = 512
MAX_CACHED_TOKENS = 50_000


@dataclass(frozen=True, slots=True)
class Needs:
    """What a doc must hold for a token pattern to match in it: for each required token, one of its spellings
    (lowercased) among the doc's lowercased tokens, and a token text matching each of its regular expressions."""

    spellings: tuple[frozenset[str], ...]
    text_regexes: tuple[re.Pattern[str], ...]
    lower_regexes: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, pattern: list[dict[str, Any]]) -> Needs:
        spellings: list[frozenset[str]] = []
        text_regexes: list[re.Pattern[str]] = []
        lower_regexes: list[re.Pattern[str]] = []
        for token in required_tokens(pattern):
            for attr in LITERAL_ATTRS:
                value = token.get(attr)
                if isinstance(value, str):
                    spellings.append(frozenset({value.lower()}))
                elif isinstance(value, Mapping):
                    if isinstance(value.get("IN"), list):
                        spellings.append(frozenset(str(v).lower() for v in value["IN"]))
                    if isinstance(value.get("REGEX"), str):
                        # the Matcher tests REGEX with re.search on the token's text (or its lowercase form)
                        regexes = lower_regexes if attr == "LOWER" else text_regexes
                        regexes.append(re.compile(value["REGEX"]))
        return cls(tuple(sorted(spellings, key=len)), tuple(text_regexes), tuple(lower_regexes))

    @property
    def regexes(self) -> tuple[tuple[re.Pattern[str], bool], ...]:
        """Each regular expression with True when it applies to the token's lowercase form."""
        return tuple((rx, False) for rx in self.text_regexes) + tuple((rx, True) for rx in self.lower_regexes)


class IndexedSpanRuler(SpanRuler):
    """A SpanRuler whose token patterns run only where they can match.

    spaCy's Matcher costs about the same per pattern and token whether the pattern can match or not. This ruler
    first checks, for each token pattern, what any match of it needs in the doc (`Needs`: a spelling of each
    required token, a token for each required regular expression) and runs a Matcher holding only the patterns
    whose needs are met, built once per set of candidates and cached; a doc that meets none runs no Matcher. The
    matches of one pattern do not depend on the other patterns in a Matcher, so the spans are exactly those of
    the plain SpanRuler (`match_plain`, kept for comparison).
    """

    def clear(self) -> None:
        super().clear()
        self._token_patterns: list[tuple[str, list[dict[str, Any]]]] = []
        self._needs: list[Needs] = []
        self._by_word: dict[str, list[int]] = {}  # a word of the first spelling each pattern needs -> patterns
        self._wordless: list[int] = []  # patterns that need no spelling (regular expressions or other attributes)
        self._regexes: dict[tuple[re.Pattern[str], bool], int] = {}  # each distinct regex -> its bit
        self._regex_masks: list[int] = []  # per pattern: the bits of the regexes it needs
        self._token_facts: dict[str, tuple[str, int]] = {}  # token text -> (lowercase form, bits of regexes it meets)
        self._matchers: dict[tuple[int, ...], Matcher] = {}

    def add_patterns(self, patterns: list[Any]) -> None:
        super().add_patterns(patterns)  # validates them and fills the plain matchers
        for entry in patterns:
            pattern = entry["pattern"]
            if not isinstance(pattern, str):
                self._token_patterns.append((repr((entry["label"], entry.get("id", ""))), pattern))
                needs = Needs.of(pattern)
                number = len(self._needs)
                self._needs.append(needs)
                mask = 0
                for regex in needs.regexes:
                    mask |= 1 << self._regexes.setdefault(regex, len(self._regexes))
                self._regex_masks.append(mask)
                if needs.spellings:
                    for word in needs.spellings[0]:
                        self._by_word.setdefault(word, []).append(number)
                else:
                    self._wordless.append(number)
        self._matchers.clear()
        self._token_facts.clear()

    def candidates(self, doc: Doc) -> tuple[int, ...]:
        """The token patterns that may match in `doc` (by number, in the order they were added)."""
        facts = self._token_facts
        lowers: set[str] = set()
        met = 0  # the bits of the regexes some token meets
        for token in doc:
            fact = facts.get(token.text)
            if fact is None:
                fact = self._facts_of(token.text, token.lower_)
            lowers.add(fact[0])
            met |= fact[1]
        found = set(self._wordless)
        by_word = self._by_word
        for word in lowers.intersection(by_word):
            found.update(by_word[word])
        needs, masks = self._needs, self._regex_masks
        return tuple(
            sorted(
                i
                for i in found
                if masks[i] & met == masks[i] and all(not lowers.isdisjoint(words) for words in needs[i].spellings)
            )
        )

    def _facts_of(self, text: str, lower: str) -> tuple[str, int]:
        """A token text's lowercase form and which regexes find something in it (cached: texts recur)."""
        bits = 0
        for (rx, on_lower), bit in self._regexes.items():
            if rx.search(lower if on_lower else text):
                bits |= 1 << bit
        if len(self._token_facts) >= MAX_CACHED_TOKENS:
            self._token_facts.clear()
        fact = self._token_facts[text] = (lower, bits)
        return fact

    def _matcher_for(self, numbers: tuple[int, ...]) -> Matcher:
        matcher = self._matchers.get(numbers)
        if matcher is None:
            if len(self._matchers) >= MAX_CACHED_MATCHERS:
                self._matchers.clear()
            matcher = Matcher(self.nlp.vocab, fuzzy_compare=self.matcher_fuzzy_compare)
            for number in numbers:
                key, pattern = self._token_patterns[number]
                matcher.add(key, [pattern])
            self._matchers[numbers] = matcher
        return matcher

    def match(self, doc: Doc) -> list[Span]:
        self._require_patterns()
        numbers = self.candidates(doc)
        token_matches = list(self._matcher_for(numbers)(doc)) if numbers else []
        return self._spans(doc, [*token_matches, *self.phrase_matcher(doc)])

    def match_plain(self, doc: Doc) -> list[Span]:
        """The plain SpanRuler's spans (every token pattern at every token)."""
        return cast(list[Span], super().match(doc))

    def _spans(self, doc: Doc, matches: Iterable[tuple[int, int, int]]) -> list[Span]:
        """As SpanRuler.match: one Span per distinct non-empty match, sorted."""
        labels = self._match_label_id_map
        return sorted(
            {
                Span(doc, start, end, label=labels[m_id]["label"], span_id=labels[m_id]["id"])
                for m_id, start, end in matches
                if start != end
            }
        )


def _make_ruler(
    nlp: Language, name: str, spans_key: str, phrase_matcher_attr: str, validate: bool, overwrite: bool
) -> IndexedSpanRuler:
    return IndexedSpanRuler(
        nlp, name, spans_key=spans_key, phrase_matcher_attr=phrase_matcher_attr, validate=validate,
        overwrite=overwrite, scorer=None,
    )


def _register_ruler() -> None:
    """Register the indexed ruler's factory with spaCy (once; on first use, not at import)."""
    if not Language.has_factory(RULER_FACTORY):
        Language.factory(
            RULER_FACTORY,
            assigns=["doc.spans"],
            default_config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "validate": True,
                            "overwrite": True},
            func=_make_ruler,
        )


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
        suffixed = lexicon.suffix_pattern()
        add(label, lexicon.name, [*lexicon.terms, *lexicon.patterns, *([suffixed] if suffixed else [])])
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
    """A blank English pipeline (no downloaded model) whose span ruler validates every pattern as it is added."""
    _register_ruler()
    nlp = blank_english()
    ruler = cast(IndexedSpanRuler, nlp.add_pipe(RULER_FACTORY))
    ruler.add_patterns(ruler_patterns(catalog, nlp))
    return nlp


def cjk_infixes() -> list[str]:
    """English's infixes plus one for each Chinese, Japanese or Korean letter (and their full-width punctuation):
    written without spaces, a run of them would be one token, so neither a lexicon term (基准, ベンチマーク) nor the
    classifier's word pairs could see the words inside it. The text of every span stays as written."""
    return [*(EnglishDefaults.infixes or ()), rf"[{CJK}{CJK_PUNCTUATION}]"]


class _CjkDefaults(EnglishDefaults):
    infixes = cjk_infixes()


class _MirageEnglish(English):  # type: ignore[no-untyped-call]
    """English whose tokenizer reads CJK letter by letter, built that way once: setting a tokenizer's infixes
    afterwards reloads every special case, which cost about 0.08 s of each start."""

    Defaults = _CjkDefaults


def blank_english() -> Language:
    """A blank English pipeline with the CJK-reading tokenizer (see `cjk_infixes`)."""
    return _MirageEnglish()


def span_ruler(nlp: Language) -> IndexedSpanRuler:
    """The pipeline's span ruler."""
    return cast(IndexedSpanRuler, nlp.get_pipe(RULER_FACTORY))


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
        # a suffixed name ("KernelBench") holds the suffix as a word of its own for the pre-filter (see words_of)
        phrases += [[suffix] for suffix in lexicon.suffixes]
    return phrases


def name_parts(catalog: Catalog, lexicon_names: tuple[str, ...]) -> tuple[str, ...]:
    """The suffixes of the named lexicons: the pre-filter looks for them inside run-together names."""
    return tuple(dict.fromkeys(s for name in lexicon_names for s in catalog.lexicon(name).suffixes))
