"""Schema of a pattern card and of a lexicon file. Unknown keys are rejected."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from spacy.schemas import validate_token_pattern

from bot.domain import CardMode

LABEL_RE = re.compile(r"^[A-Z][A-Z_]*$")
ABSENT_EVIDENCE = "EVIDENCE_ABSENT"  # a virtual cue label: user evidence said to be missing ("no user data yet")


def lexicon_label(name: str) -> str:
    """The label a lexicon's matches carry: its name in capitals."""
    return name.upper()
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
    mode: CardMode = "live"
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


LexiconRole = Literal[
    "anchor",  # a benchmark or eval reference; `weight` is what it adds to a card's score
    "context_anchor",  # a weaker reference (score, ranking) that counts only beside a `context` word or an anchor
    "gate",  # a word claiming the lead ("outperforms"): the classifier weighs the message even without an anchor
    "evidence",  # evidence from real users or production: grounds a message unless negated or pending
    "pending",  # said just after evidence, the evidence is not in yet ("survey isn't back yet")
    "negator",  # cancels a cue or evidence term just after it
    "silencer",  # doubt, caution, reported speech: the message is not the writer's own claim (`reason` says so)
    "systems",  # hardware, latency, database benchmarks: silences the generic word "benchmark"
    "context",  # shows a message is about models, so `context_anchor` words count
    "off_topic",  # shows the words are used in another sense (games, sports): no anchor counts without context
    "connective",  # turns a result into an argument ("so", "therefore")
    "question",  # a sentence opening with one of these is a question
]
SINGLE_ROLES = ("evidence", "pending", "negator", "question")  # exactly one lexicon each


class Lexicon(_Strict):
    """A named word list with a declared role (benchmark names, user-evidence terms, ...)."""

    name: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    role: LexiconRole
    description: str
    terms: Annotated[list[str], Field(min_length=1)]
    patterns: list[TokenPattern] = []
    weight: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0  # anchors only
    reason: str = ""  # silencers only: the one-line reason Mirage gives for staying quiet
    order: int = 0  # silencers only: which reason is given first when several apply
    negation_cancels: bool = False  # silencers only: a negated hit ("no need to wait") does not silence
    negation_window: Annotated[int, Field(ge=1, le=8)] = 3  # how many tokens back a negator reaches
    # a word ending in one of these capitalised names counts as a term ("AutomationBench", "LongMemEval"): new
    # benchmarks are named every week; `suffix_exclude` lists such words that are not terms (systems benchmarks)
    suffixes: list[Annotated[str, Field(pattern=r"^[A-Z][a-z]+$")]] = []
    suffix_exclude: list[str] = []

    @model_validator(mode="after")
    def _role_fields(self) -> Lexicon:
        if self.role in ("anchor", "context_anchor") and self.weight <= 0:
            raise ValueError(f"an {self.role} lexicon needs a weight > 0")
        if self.role == "silencer" and not self.reason.strip():
            raise ValueError("a silencer lexicon needs a reason")
        if self.suffix_exclude and not self.suffixes:
            raise ValueError("suffix_exclude needs suffixes")
        return self

    def suffix_pattern(self) -> TokenPattern | None:
        """The token pattern for `suffixes`: a word of letters and digits that ends in one of them after a letter or
        digit, and is not excluded."""
        if not self.suffixes:
            return None
        excluded = "|".join(re.escape(word.lower()) for word in self.suffix_exclude)
        guard = f"(?!(?i:{excluded})$)" if excluded else ""
        ends = "|".join(self.suffixes)
        return [{"TEXT": {"REGEX": f"^{guard}[A-Za-z0-9][A-Za-z0-9.+]*?[A-Za-z0-9](?:{ends})$"}}]

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

    def lexicons_with(self, *roles: str) -> tuple[str, ...]:
        """The names of the lexicons holding any of `roles`, sorted."""
        return tuple(sorted(lex.name for lex in self.lexicons.values() if lex.role in roles))
