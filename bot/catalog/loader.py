"""Read `rules/*.yaml` (cards) and `rules/lexicon/*.yaml` (word lists) into a validated Catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.catalog.checks import card_text_problems, comment_traps, contract_problems, role_problems
from bot.catalog.errors import CatalogError, CatalogProblem
from bot.catalog.patterns import key_spellings
from bot.catalog.schema import Card, Catalog, Lexicon

# lexicon roles the exact pre-filter is built from: their patterns must spell out a token it can key on
PREFILTERED_ROLES = ("anchor", "context_anchor", "evidence", "gate")
M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML was built with it (the wheels are): the same safe loading, many times faster
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _key(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def _read_yaml(path: Path, problems: list[CatalogProblem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=SAFE_LOADER)
        problems += comment_traps(path, text)
        return data
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(CatalogProblem(str(path), "(file)", f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problems.append(CatalogProblem(str(path), where, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
    return None


def _parse(model: type[M], path: Path, problems: list[CatalogProblem]) -> M | None:
    data = _read_yaml(path, problems)
    if data is None and not any(p.file == str(path) for p in problems):
        problems.append(CatalogProblem(str(path), "(file)", "file is empty"))
        return None
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(CatalogProblem(str(path), "(top level)", "must be a mapping of keys to values"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(CatalogProblem(str(path), _key(tuple(err["loc"])), err["msg"]))
        return None


def load_catalog(rules_dir: Path) -> Catalog:
    """Load and validate every card and lexicon under `rules_dir`.

    Raises CatalogError listing every problem (file, key, what is wrong) when anything is invalid.
    """
    problems: list[CatalogProblem] = []
    if not rules_dir.is_dir():
        raise CatalogError([CatalogProblem(str(rules_dir), "(dir)", "rules directory not found")])

    cards: list[Card] = []
    sources: dict[str, str] = {}
    unreadable_cards = 0
    for path in sorted(rules_dir.glob("*.y*ml")):
        card = _parse(Card, path, problems)
        if card is None:
            unreadable_cards += 1
            continue
        if card.id in sources:
            also = sources[card.id]
            problems.append(CatalogProblem(str(path), "id", f"duplicate card id {card.id} (also in {also})"))
            continue
        cards.append(card)
        sources[card.id] = str(path)

    lexicons: dict[str, Lexicon] = {}
    lexicon_files: dict[str, str] = {}
    for path in sorted((rules_dir / "lexicon").glob("*.y*ml")):
        lexicon = _parse(Lexicon, path, problems)
        if lexicon is not None:
            if lexicon.name in lexicons:
                problems.append(CatalogProblem(str(path), "name", f"duplicate lexicon name {lexicon.name!r}"))
            lexicons[lexicon.name] = lexicon
            lexicon_files[lexicon.name] = str(path)
    for card in cards:
        problems += card_text_problems(card, sources[card.id])
    problems += contract_problems(cards, sources, lexicons, lexicon_files)

    for name, lexicon in lexicons.items():
        if lexicon.role not in PREFILTERED_ROLES:
            continue
        for i, pattern in enumerate(lexicon.patterns):
            if key_spellings(pattern) is None:
                problems.append(
                    CatalogProblem(
                        f"{rules_dir / 'lexicon'}/{name}.yaml",
                        f"patterns[{i}]",
                        "needs at least one required token spelled out (ORTH, TEXT or LOWER) for the pre-filter",
                    )
                )

    for card in cards:
        for i, related in enumerate(card.related):
            if related not in sources:
                # a card file that failed to load may be the one referred to: say so rather than mislead
                maybe = " (or it is in a card file above that did not load)" if unreadable_cards else ""
                problems.append(
                    CatalogProblem(sources[card.id], f"related[{i}]", f"unknown card id {related!r}{maybe}")
                )
    if not cards and not problems:
        problems.append(CatalogProblem(str(rules_dir), "(dir)", "no card files (*.yaml) found"))
    problems += role_problems(lexicons, str(rules_dir / "lexicon"))

    if problems:
        raise CatalogError(problems)
    return Catalog(cards=tuple(cards), lexicons=lexicons, sources=sources)
