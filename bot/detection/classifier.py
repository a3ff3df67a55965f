"""The trained claim classifier: a spaCy `textcat` shipped inside the package, loaded once, never downloaded.

The model directory holds the pipeline (`nlp.to_disk`) and `manifest.json`, which records how it was made (data
hash, spaCy version, seed, config) and the blend and tier cut-offs chosen on the real-derived dev split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from bot.detection.blend import Blend

NO_CLAIM = "NO_CLAIM"
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


def model_text(text: str, feature_labels: Iterable[str], use_features: bool) -> str:
    """The text the classifier reads: the cleaned message, then (when the model was trained with them) one word per
    label of the rules' reading, so the model can weigh rule evidence beside the words."""
    if not use_features:
        return text
    marks = " ".join(FEATURE_PREFIX + label.lower().replace("_", "") for label in feature_labels)
    return f"{text}\n{marks}" if marks else text


class Classifier:
    def __init__(self, nlp: Language, manifest: dict[str, Any]) -> None:
        self.nlp = nlp
        self.manifest = manifest
        blend = manifest.get("blend") or {}
        self.blend = Blend(**blend)
        self.use_features = bool(manifest.get("rule_features", False))

    @classmethod
    def load(cls, path: Path = MODEL_DIR) -> Classifier:
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            nlp = spacy.load(path / "model")
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the claim classifier from {path}: {exc}") from None
        return cls(nlp, manifest)

    def scores(self, texts: Sequence[str]) -> list[CardScores]:
        """Scores for texts already passed through `model_text`."""
        out: list[CardScores] = []
        for doc in self.nlp.pipe(texts, batch_size=256):
            cards = {label: float(p) for label, p in doc.cats.items() if label != NO_CLAIM}
            out.append(CardScores(min(1.0, sum(cards.values())), cards))
        return out
