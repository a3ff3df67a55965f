"""Checks of the catalog beyond its schema: YAML traps in card text, and the contract between cards, lexicons and
the detector (labels a cue needs, labels that shadow a lexicon, phrases listed twice). Pure: problems as data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.catalog.errors import CatalogProblem
from bot.catalog.schema import ABSENT_EVIDENCE, SINGLE_ROLES, Card, Lexicon, lexicon_label

PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))
TEXT_FIELDS = ("name", "summary", "first_move", "counter_move", "reply_lead")
TEXT_LISTS = ("notice", "questions", "avoid", "not_a_problem_when", "also_known_as")


def comment_traps(path: Path, text: str) -> list[CatalogProblem]:
    """An unquoted value followed by ` #word` ("ranked #1"): YAML reads the rest of the line as a comment, so the
    value is silently cut. A comment is fine after a space ("# why"); a value that means `#` must be quoted."""
    problems: list[CatalogProblem] = []
    lines = text.splitlines()
    try:
        if not any(_maybe_trap(line) for line in lines):
            return problems  # the full token scan (pure Python, slow) only when a line may hold a trap
        tokens = list(yaml.scan(text))
    except yaml.YAMLError:
        return problems  # the YAML error itself is reported by the loader
    for token in tokens:
        if not isinstance(token, yaml.ScalarToken) or token.style is not None:
            continue
        end = token.end_mark
        rest = lines[end.line][end.column :] if end.line < len(lines) else ""
        stripped = rest.lstrip(" \t")
        if rest != stripped and stripped.startswith("#") and len(stripped) > 1 and not stripped[1].isspace():
            problems.append(CatalogProblem(
                str(path), f"line {end.line + 1}",
                f"'{token.value} {stripped.split()[0]}...': an unquoted value is cut at ' #' (YAML starts a comment "
                "there); quote the whole value"))
    return problems


TRAP = re.compile(r"\s#\S")


def _maybe_trap(line: str) -> bool:
    """A ` #word` outside quotes (an even number of quote marks before it) on a line that is not a comment."""
    if line.lstrip().startswith("#"):
        return False
    for found in TRAP.finditer(line):
        before = line[: found.start()]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return True
    return False


def unbalanced(value: str) -> str | None:
    """What is unbalanced in a card's sentence (brackets, or an odd number of double quotes), if anything."""
    for opening, closing in PAIRS:
        if value.count(opening) != value.count(closing):
            return f"unbalanced {opening}{closing}"
    if value.count('"') % 2:
        return 'an odd number of "'
    return None


def card_text_problems(card: Card, source: str) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    for field in TEXT_FIELDS:
        why = unbalanced(str(getattr(card, field)))
        if why:
            problems.append(CatalogProblem(source, field, f"{why}: was the text cut short?"))
    for field in TEXT_LISTS:
        for i, value in enumerate(getattr(card, field)):
            why = unbalanced(value)
            if why:
                problems.append(CatalogProblem(source, f"{field}[{i}]", f"{why}: was the text cut short?"))
    return problems


def _duplicates(phrases: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    twice: list[str] = []
    for phrase in phrases:
        key = " ".join(phrase.lower().split())
        if key in seen and key not in twice:
            twice.append(key)
        seen.add(key)
    return twice


def contract_problems(
    cards: list[Card], sources: dict[str, str], lexicons: dict[str, Lexicon], lexicon_files: dict[str, str]
) -> list[CatalogProblem]:
    """Labels a cue `needs` that no card's cue has (typos; a result cue of another card may be named), cue
    labels that reuse a lexicon's label (a card cue named SKEPTIC would silence every card), and phrases listed
    twice in one lexicon or one card."""
    problems: list[CatalogProblem] = []
    reserved = {lexicon_label(name): name for name in lexicons}
    for name, lexicon in lexicons.items():
        for phrase in _duplicates(lexicon.terms):
            problems.append(CatalogProblem(lexicon_files[name], "terms", f"{phrase!r} is listed twice"))
    declared = {cue.label for card in cards for cue in card.detect.cues} | {ABSENT_EVIDENCE}
    for card in cards:
        source = sources[card.id]
        for i, cue in enumerate(card.detect.cues):
            if cue.label in reserved:
                problems.append(CatalogProblem(
                    source, f"detect.cues[{i}].label",
                    f"{cue.label} is the label of lexicon {reserved[cue.label]!r}; a cue needs a label of its own"))
            for label in cue.needs:
                if label not in declared:
                    known = ", ".join(sorted(declared))
                    problems.append(CatalogProblem(
                        source, f"detect.cues[{i}].needs", f"{label!r} is no card's cue label (known: {known})"))
        for phrase in _duplicates(p for cue in card.detect.cues for p in cue.phrases):
            problems.append(CatalogProblem(source, "detect.cues", f"phrase {phrase!r} is listed twice"))
    return problems


def role_problems(lexicons: dict[str, Lexicon], where: str) -> list[CatalogProblem]:
    """The detector needs exactly one lexicon for each of the single roles and at least one anchor."""
    problems: list[CatalogProblem] = []
    for role in SINGLE_ROLES:
        holders = sorted(name for name, lex in lexicons.items() if lex.role == role)
        if len(holders) != 1:
            found = ", ".join(holders) or "none"
            problems.append(
                CatalogProblem(where, f"role {role}", f"exactly one lexicon needs this role (found: {found})")
            )
    if not any(lex.role == "anchor" for lex in lexicons.values()):
        problems.append(CatalogProblem(where, "role anchor", "at least one lexicon needs this role (found: none)"))
    return problems
