"""Schema of a pattern card and of a lexicon file. Unknown keys are rejected."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from spacy.schemas import validate_token_pattern

LABEL_RE = re.compile(r"^[A-Z][A-Z_]*$")
TokenPattern = list[dict[str, Any]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Strict):
    """One kind of evidence a card looks for, beside a benchmark reference (e.g. a decision to switch)."""

    label: str
    weight: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    phrases: list[str] = []
    patterns: list[TokenPattern] = []
    needs: list[str] = []  # this cue counts only beside one of these labels (e.g. a decision needs a result)
    not_after: list[str] = []  # words that cancel this cue when they come just before it ("need to beat")
    # > 0: the cue counts only when a benchmark reference starts within this many tokens after it ("best MMLU")
    before_anchor: Annotated[int, Field(ge=0, le=8)] = 0

    @field_validator("label")
    @classmethod
    def _label_is_upper(cls, value: str) -> str:
        if not LABEL_RE.match(value):
            raise ValueError(f"label {value!r} must be UPPER_SNAKE_CASE")
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns_are_valid_spacy(cls, patterns: list[TokenPattern]) -> list[TokenPattern]:
        for i, pattern in enumerate(patterns):
            errors = validate_token_pattern(pattern)
            if errors:
                raise ValueError(f"patterns[{i}] is not a valid spaCy token pattern: {'; '.join(errors)}")
        return patterns

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Cue:
        if not self.phrases and not self.patterns:
            raise ValueError(f"cue {self.label} needs at least one phrase or pattern")
        return self


class Detect(_Strict):
    """How a card is detected: a benchmark reference plus at least one of its cues in the same or a neighbouring
    asserting sentence."""

    cues: Annotated[list[Cue], Field(min_length=1)]
    base_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.6


class Examples(_Strict):
    match: Annotated[list[str], Field(min_length=1)]
    no_match: Annotated[list[str], Field(min_length=1)]


class Card(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z]{2}-\d{1,3}$")]
    name: Annotated[str, Field(min_length=3)]
    kind: Literal["failure_mode", "red_flag"]
    severity: Literal["low", "medium", "high", "critical"]
    mode: Literal["live", "shadow"] = "live"
    summary: Annotated[str, Field(min_length=10)]
    also_known_as: list[str] = []
    notice: Annotated[list[str], Field(min_length=1)]
    questions: Annotated[list[str], Field(min_length=2)]
    first_move: str
    counter_move: str
    reply_lead: str = "Quick check before we lean on this number:"
    avoid: list[str] = []
    not_a_problem_when: list[str] = []
    related: list[str] = []
    detect: Detect
    examples: Examples

    @property
    def kind_label(self) -> str:
        return "Failure mode" if self.kind == "failure_mode" else "Red flag"


class Lexicon(_Strict):
    """A named word list shared by the cards (benchmark names, user-evidence terms, ...)."""

    name: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    description: str
    terms: Annotated[list[str], Field(min_length=1)]
    patterns: list[TokenPattern] = []

    @field_validator("terms")
    @classmethod
    def _terms_are_not_blank(cls, terms: list[str]) -> list[str]:
        for i, term in enumerate(terms):
            if not term.strip():
                raise ValueError(f"terms[{i}] is blank")
        return terms

    @field_validator("patterns")
    @classmethod
    def _patterns_are_valid_spacy(cls, patterns: list[TokenPattern]) -> list[TokenPattern]:
        for i, pattern in enumerate(patterns):
            errors = validate_token_pattern(pattern)
            if errors:
                raise ValueError(f"patterns[{i}] is not a valid spaCy token pattern: {'; '.join(errors)}")
        return patterns


class Catalog(_Strict):
    """Every card and lexicon, as loaded from one rules directory."""

    cards: tuple[Card, ...]
    lexicons: dict[str, Lexicon]
    sources: dict[str, str] = {}  # card id -> the file it was loaded from

    def source(self, card_id: str) -> str:
        return self.sources.get(card_id, card_id)

    def card(self, key: str) -> Card | None:
        """The card whose id or name is `key` (case-insensitive), if any."""
        wanted = key.strip().casefold()
        for card in self.cards:
            if wanted in (card.id.casefold(), card.name.casefold()):
                return card
        return None

    def lexicon(self, name: str) -> Lexicon:
        return self.lexicons[name]
