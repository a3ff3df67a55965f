"""A cheap, exact pre-filter: a message that lacks some word of every phrase of interest cannot match.

A phrase match needs all of its tokens in the text, so it needs all of the words inside those tokens (written
apart or run together). The pre-filter indexes each phrase's word sets by their longest word; a message passes only
if, for some phrase, every word of one of its sets occurs in it. Anything that fails here is skipped without
running the spaCy pipeline.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Chinese, Japanese and Korean letters (no spaces between words): each letter is a word of its own, as the
# tokenizer reads them (see pipeline.cjk_infixes), apart from Latin words written against them
# ("MT-BenchとArena Hardで" holds "arena" and "hard")
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# their punctuation, full-width (、。「」，！？：), which the tokenizer splits off as well
CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
# letters and digits: snake_case and link paths are read word by word
WORD = re.compile(rf"[^\W_{CJK}]+|[{CJK}]")


def phrase_word_sets(tokens: Iterable[str]) -> set[frozenset[str]]:
    """The lowercased words a text holds when it contains the phrase's tokens, written apart or run together.

    Usually both are the same; they differ when the tokenizer splits inside a word ("GSM8K" -> "GSM8", "K").
    """
    tokens = [token.lower() for token in tokens]
    return {frozenset(WORD.findall(" ".join(tokens))), frozenset(WORD.findall("".join(tokens)))}


@dataclass(frozen=True, slots=True)
class Prefilter:
    index: dict[str, tuple[frozenset[str], ...]]
    # capitalised ends of run-together names its phrases key on ("Bench" of "KernelBench"; see `words_of`)
    name_parts: tuple[str, ...] = ()
    keys: frozenset[str] = frozenset()  # the index's keys, so a message's words meet them in one set operation

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(self.index))

    def __or__(self, other: Prefilter) -> Prefilter:
        """The pre-filter that passes what either passes (one look-up instead of two)."""
        index = {key: tuple(sets) for key, sets in self.index.items()}
        for key, sets in other.index.items():
            index[key] = tuple(dict.fromkeys((*index.get(key, ()), *sets)))
        return Prefilter(index, tuple(dict.fromkeys((*self.name_parts, *other.name_parts))))

    @classmethod
    def from_phrases(cls, phrases: Iterable[Iterable[str]], name_parts: Iterable[str] = ()) -> Prefilter:
        """Build from tokenised phrases (and the name parts some of them are); a phrase without any word (pure
        punctuation) is rejected."""
        index: defaultdict[str, set[frozenset[str]]] = defaultdict(set)
        for tokens in phrases:
            for words in phrase_word_sets(tokens):
                if not words:
                    raise ValueError(f"phrase {list(tokens)!r} has no word the pre-filter could key on")
                index[max(sorted(words), key=len)].add(words)
        return cls({key: tuple(sets) for key, sets in index.items()}, tuple(name_parts))

    def words(self, text: str) -> set[str]:
        """A message's words as this pre-filter reads them (see `words_of`)."""
        return words_of(text, self.name_parts)

    def may_match(self, text: str) -> bool:
        """False only when no phrase of interest can occur in `text`."""
        return self.may_match_words(self.words(text))

    def may_match_words(self, words: set[str]) -> bool:
        """`may_match` on a message's word set (see `words_of`), so several filters can share one split."""
        index = self.index
        for word in self.keys.intersection(words):
            for needed in index[word]:
                if needed <= words:
                    return True
        return False


def words_of(text: str, name_parts: Iterable[str] = ()) -> set[str]:
    """The lowercased words of a message, as the pre-filter sees them, and each of `name_parts` it holds (a lexicon's
    `suffixes`: "KernelBench" holds "bench"), found by a substring test."""
    words = set(WORD.findall(text.lower()))
    words.update(part.lower() for part in name_parts if part in text)
    return words
