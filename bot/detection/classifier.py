"""The trained claim classifier: a spaCy `textcat` shipped inside the package, loaded once, never downloaded.

The model directory holds the pipeline (`nlp.to_disk`) and `manifest.json`, which records how it was made (data
hash, spaCy version, seed, config) and the blend and tier cut-offs chosen on the real-derived dev split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import load_config
from spacy.vocab import Vocab

from bot.detection.blend import Blend

NO_CLAIM = "NO_CLAIM"
CLAIM = "CLAIM"  # the one claim class of a model with a separate card head
MODEL_DIR = Path(__file__).resolve().parent / "trained"
FEATURE_PREFIX = "zzmirage"


class ModelError(Exception):
    """The shipped model is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class CardScores:
    """The classifier's view of one message: the probability of a claim, and of each card."""

    claim: float
    cards: dict[str, float]

    @property
    def best_card(self) -> str | None:
        return max(self.cards, key=lambda c: self.cards[c]) if self.cards else None

    def share(self, card: str) -> float:
        """The part of the claim probability that goes to `card`."""
        return self.cards.get(card, 0.0) / self.claim if self.claim > 0 else 0.0


MAX_REPEATS = 3  # occurrences of one word the model reads
MAX_MODEL_WORDS = 300  # words of a message the model reads (training messages are well under this)


# a figure: 71.2, 85%, +4, -0.3pt, 2.5x, 1,400, 62->71 (not a name with digits in it, such as GSM8K or gpt-4o)
_FIGURE = re.compile(r"[+\-~±]?\d[\d.,]*(?:%|x|pt|pts|pp|k|m|b)?(?:(?:->|→|=>|/)[+\-]?\d[\d.,]*%?)?", re.IGNORECASE)
_DIGIT = re.compile(r"\d+")
_NAME = re.compile(r"(?=.*[a-zA-Z])(?=.*\d)[\w.\-]+")
BENCH_WORD = FEATURE_PREFIX + "benchname"
NAME_WORD = FEATURE_PREFIX + "modelname"
RARE_WORD = FEATURE_PREFIX + "rare"
KNOWN_WORDS_FILE = "known_words.json"


def normal_word(word: str) -> str:
    """One word as a normalising model reads it: lowercased, and a figure as its shape ("71.2" -> "0.0",
    "+4" -> "+0", "62->71" -> "0->0"), so a delta it learnt from one pair of numbers counts for any other."""
    if _FIGURE.fullmatch(word):
        return _DIGIT.sub("0", word.lower())
    return word.lower()


@dataclass(frozen=True, slots=True)
class Reads:
    """How a classifier reads a message; set by the training config and recorded in the model's manifest."""

    rule_features: bool = False  # one word per label of the rules' reading, after the message's words
    normalize_words: bool = False  # words lowercased, figures by their shape (see `normal_word`)
    mask_benchmarks: bool = False  # a named benchmark as one word for any benchmark
    mask_names: bool = False  # a name mixing letters and digits (gpt-4o, qwen2.5, h100) as one word for any name

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Reads:
        """From a manifest or the config's [mirage] section (a setting left out is off)."""
        return cls(**{name: bool(settings.get(name, False)) for name in cls.__dataclass_fields__})


def model_words(words: Sequence[str], feature_labels: Iterable[str], reads: Reads,
                benchmarks: Sequence[tuple[int, int]] = ()) -> list[str]:
    """The tokens the classifier reads: the cleaned message's tokens (as the rule pipeline split them), then (when
    the model was trained with them) one word per label of the rules' reading, so it can weigh rule evidence.
    `benchmarks` are the token spans of named benchmarks (read as one word each when `reads.mask_benchmarks`): a
    bag of words then learns "tops <benchmark>" once for every benchmark, named this week or next."""
    marks = [FEATURE_PREFIX + label.lower().replace("_", "") for label in feature_labels] if reads.rule_features else []
    if reads.mask_benchmarks and benchmarks:
        words = list(words)
        for start, end in benchmarks:
            words[start:end] = [BENCH_WORD] + [" "] * (end - start - 1)
    if reads.mask_names:
        words = [NAME_WORD if _NAME.fullmatch(w) and not _FIGURE.fullmatch(w) else w for w in words]
    kept = [w for w in words if not w.isspace()]
    return _bounded([normal_word(w) for w in kept] if reads.normalize_words else kept) + marks


def _bounded(words: list[str]) -> list[str]:
    """At most MAX_REPEATS of each word and MAX_MODEL_WORDS in all: a bag of words sums its words, so a pasted log
    or a word repeated a thousand times would otherwise drown the sentence that makes the claim, and the model was
    trained on messages of a few hundred characters."""
    seen: dict[str, int] = {}
    kept: list[str] = []
    for word in words:
        key = word.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= MAX_REPEATS:
            kept.append(word)
            if len(kept) == MAX_MODEL_WORDS:
                break
    return kept


def known_words(read: Iterable[tuple[str, Sequence[str]]], min_homes: int) -> frozenset[str]:
    """The words that at least `min_homes` homes use, from (home, words) pairs (see `bot.detection.corpus.home`).
    A word only one repository or site uses (its project's name, its house phrases) tells the model where a line
    came from, not whether it makes a claim; read as one shared word instead, it cannot be learnt as evidence."""
    homes: dict[str, set[str]] = {}
    for home, words in read:
        for word in set(words):
            homes.setdefault(word, set()).add(home)
    return frozenset(word for word, where in homes.items() if len(where) >= min_homes)


def in_vocabulary(words: Sequence[str], known: frozenset[str] | None) -> list[str]:
    """`words` with each one outside `known` read as one shared word (the rules' marks are always known); all of
    them when there is no vocabulary."""
    if known is None:
        return list(words)
    return [w if w in known or w.startswith(FEATURE_PREFIX) else RARE_WORD for w in words]


class Classifier:
    """The textcat component alone, run on token lists in the detector's own vocabulary."""

    def __init__(self, textcat: Any, vocab: Vocab, manifest: dict[str, Any], card_textcat: Any = None,
                 known: frozenset[str] | None = None) -> None:
        self.textcat = textcat
        self.card_textcat = card_textcat  # tells the cards apart, when the main model has one claim class
        self.vocab = vocab
        self.manifest = manifest
        self.blend = Blend(**(manifest.get("blend") or {}))
        self.reads = Reads.of(manifest)
        self.known = known  # the words the model was trained to read as themselves (None: every word)

    @classmethod
    def from_nlp(cls, nlp: Language, manifest: dict[str, Any], card_nlp: Language | None = None,
                 known: frozenset[str] | None = None) -> Classifier:
        """Wrap a trained pipeline's textcat (training uses this before the model is written)."""
        card = card_nlp.get_pipe("textcat") if card_nlp is not None else None
        return cls(nlp.get_pipe("textcat"), nlp.vocab, manifest, card, known)

    @classmethod
    def load(cls, nlp: Language, path: Path = MODEL_DIR) -> Classifier:
        """Load the shipped textcat into a component of `nlp` (the detector's pipeline; not added to it), which
        saves building a second pipeline at start-up."""
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            textcat = _load_textcat(nlp, path / "model")
            card = _load_textcat(nlp, path / "card") if manifest.get("card_labels") else None
            known = (frozenset(json.loads((path / KNOWN_WORDS_FILE).read_text(encoding="utf-8")))
                     if manifest.get("min_homes") else None)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load the claim classifier from {path}: {exc}") from None
        return cls(textcat, nlp.vocab, manifest, card, known)

    def scores(self, token_lists: Sequence[list[str]]) -> list[CardScores]:
        """Scores for token lists made by `model_words` (no second tokenisation)."""
        docs = list(self.textcat.pipe((Doc(self.vocab, words=in_vocabulary(words, self.known))
                                       for words in token_lists if words), batch_size=256))
        if self.card_textcat is None:
            found = [{label: float(p) for label, p in doc.cats.items() if label != NO_CLAIM} for doc in docs]
        else:
            # the card head splits the claim probability between the cards (it overwrites `cats`: read CLAIM first)
            claims = [float(doc.cats.get(CLAIM, 0.0)) for doc in docs]
            labels = tuple(self.card_textcat.labels)
            found = [{label: claim * float(doc.cats[label]) for label in labels}
                     for claim, doc in zip(claims, self.card_textcat.pipe(docs, batch_size=256), strict=True)]
        scored = iter(found)
        out: list[CardScores] = []
        for words in token_lists:
            cards = next(scored) if words else {}
            out.append(CardScores(min(1.0, float(sum(cards.values()))), cards))
        return out


def _load_textcat(nlp: Language, model_dir: Path) -> Any:
    """A textcat saved by `nlp.to_disk`, created as a component of `nlp` (sharing its vocabulary)."""
    config = load_config(model_dir / "config.cfg")["components"]["textcat"]
    textcat = nlp.create_pipe("textcat", config={k: v for k, v in config.items() if k != "factory"})
    textcat.from_disk(model_dir / "textcat", exclude=["vocab"])  # type: ignore[attr-defined]
    return textcat
