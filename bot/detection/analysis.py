"""Read a tokenised message into hits (labelled phrases) and sentences. Pure functions over a spaCy Doc."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from spacy.tokens import Doc

from bot.detection.pipeline import SPANS_KEY

SENTENCE_END = frozenset({".", "!", "?", "…", "?!", "!?", "??", "!!", "...", ";"})
CONDITIONAL_OPENERS = frozenset({"if", "unless", "whether", "suppose", "assuming", "imagine", "hypothetically"})
# "just because ..." and "even if ..." are conditional; "just saw ..." and "even the evals ..." are not
SOFT_OPENERS = frozenset({"just", "even"})
SOFT_FOLLOWERS = frozenset({"because", "cause", "bc", "if", "though", "suppose", "imagine", "assuming"})
STATEMENT_OPENERS = frozenset(
    {("which", "means"), ("what", "a"), ("which", "is"), ("any", "way"), ("who", "needs"), ("who", "cares")}
)
FILLERS = frozenset({"like", "so", "ok", "okay", "and", "but", "hmm", "also", "honestly", "btw", "fwiw", "ngl", "well",
                     "anyway", "anyways", "um", "uh", "actually", "srsly", "tbh", "imo", "q", "quick"})
# an auxiliary opens a question only when its subject follows ("should we ..."), not "haven't shown", "should be"
AUXILIARIES = frozenset({"is", "are", "was", "were", "has", "have", "had", "should", "could", "would", "can", "will",
                         "does", "do", "did", "shall"})
NOT_A_SUBJECT = frozenset({"n't", "not", "be", "been", "definitely", "probably", "just", "also", "really", "totally",
                           "go", "use", "ship", "switch", "pick", "clearly", "already", "now", "confirm", "report",
                           "say", "do", "work"})
NEGATION_WINDOW = 3


@dataclass(frozen=True, slots=True)
class Hit:
    """One labelled phrase: `source` is the lexicon name or the card id whose pattern matched."""

    label: str
    source: str
    start: int
    end: int
    sentence: int
    text: str
    negated: bool = False
    negator_start: int = -1


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    is_question: bool
    is_conditional: bool
    # '?' at the end but no question word first ("saw the AA index update?"): may introduce the next sentence
    lead_in: bool = False

    @property
    def asserts(self) -> bool:
        return not (self.is_question or self.is_conditional)


def sentences(doc: Doc, question_words: frozenset[str]) -> list[Sentence]:
    """Split on end punctuation and line breaks; mark questions and conditionals. One pass over the tokens."""
    result: list[Sentence] = []
    begin = 0
    words: list[str] = []
    last = ""

    def close(end: int) -> None:
        nonlocal words
        words = _without_fillers(words)
        if words:
            first = words[0]
            opens_question = first in question_words and last not in {".", "!"} and not _continuation(words)
            lead_in = "?" in last and first not in question_words and not _conditional(words)
            result.append(Sentence(begin, end, "?" in last or opens_question, _conditional(words), lead_in))

    for token in doc:
        text = token.text
        if token.is_space:
            if "\n" not in text:
                continue
            close(token.i + 1)
            begin, words, last = token.i + 1, [], ""
            continue
        last = text
        if not token.is_punct:
            words.append(token.lower_)
        if text in SENTENCE_END:
            close(token.i + 1)
            begin, words, last = token.i + 1, [], ""
    close(len(doc))
    return result


def _without_fillers(words: list[str]) -> list[str]:
    """'like is +2pp enough', 'ok so which one': the opener that matters comes after the fillers."""
    start = 0
    while start < len(words) - 1 and words[start] in FILLERS:
        start += 1
    return words[start:]


def _conditional(words: Sequence[str]) -> bool:
    first = words[0]
    if first in SOFT_OPENERS:
        return len(words) >= 2 and words[1] in SOFT_FOLLOWERS
    return first in CONDITIONAL_OPENERS


def _continuation(words: Sequence[str]) -> bool:
    """'which means ...', 'what a ...' and "haven't shown ..." open statements, not questions."""
    if len(words) < 2:
        return False
    return (words[0], words[1]) in STATEMENT_OPENERS or (words[0] in AUXILIARIES and words[1] in NOT_A_SUBJECT)


def sentence_of(index: int, sents: list[Sentence]) -> int:
    for i, sent in enumerate(sents):
        if sent.start <= index < sent.end:
            return i
    return -1


def hits(doc: Doc, sents: list[Sentence], negator: str, windows: dict[str, int]) -> list[Hit]:
    """Every matched span as a Hit, with `negated` set when a `negator` span comes just before it in its sentence
    (within the label's window: evidence and caution reach further back, "don't think we need to wait for")."""
    negator_starts: set[int] = set()
    for span in doc.spans[SPANS_KEY]:
        if span.label_ == negator:
            negator_starts.update(range(span.start, span.end))
    result: list[Hit] = []
    for span in doc.spans[SPANS_KEY]:
        if span.label_ == negator:
            continue
        sent = sentence_of(span.start, sents)
        if sent < 0:
            continue
        window = windows.get(span.label_, NEGATION_WINDOW)
        lower = max(sents[sent].start, span.start - window)
        negators = [i for i in range(lower, span.start) if i in negator_starts]
        first = negators[0] if negators else -1
        result.append(Hit(span.label_, span.id_, span.start, span.end, sent, span.text, bool(negators), first))
    return result


def dedupe_overlaps(doc: Doc, found: list[Hit]) -> list[Hit]:
    """Within one label, merge overlapping hits into one ('is up' + 'up 4' -> 'is up 4')."""
    kept: list[Hit] = []
    for hit in sorted(found, key=lambda h: (h.label, h.start, -(h.end - h.start))):
        last = kept[-1] if kept else None
        if last is not None and last.label == hit.label and hit.start < last.end:
            if hit.end > last.end:
                kept[-1] = replace(last, end=hit.end, text=doc[last.start : hit.end].text)
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.label))


def merged_texts(doc: Doc, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The texts of the given token ranges, overlapping ranges merged, in reading order, without repeats."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(dict.fromkeys(doc[start:end].text for start, end in merged))
