"""What a token pattern needs to see in a text: the spellings the exact pre-filter can key on."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

LITERAL_ATTRS = ("ORTH", "TEXT", "LOWER")
OPTIONAL_OPS = frozenset({"?", "*", "!"})
WORD = re.compile(r"\w")


def _required(token: Mapping[str, Any]) -> bool:
    op = str(token.get("OP", ""))
    if op in OPTIONAL_OPS:
        return False
    # "{,n}" and "{0,n}" may match nothing
    return not (op.startswith("{") and (op.startswith("{,") or op.startswith("{0")))


def _spellings(token: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The token's literal spellings, when every one of them has a word character the pre-filter can key on."""
    for attr in LITERAL_ATTRS:
        value = token.get(attr)
        options: tuple[str, ...] | None = None
        if isinstance(value, str):
            options = (value,)
        elif isinstance(value, Mapping) and isinstance(value.get("IN"), list):
            options = tuple(str(v) for v in value["IN"])
        if options is not None:
            return options if all(WORD.search(option) for option in options) else None
    return None


MAX_KEY_COMBINATIONS = 64


def key_phrases(pattern: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]] | None:
    """Word combinations that any text matched by the pattern must hold: one from each of its (up to) two most
    selective required tokens, e.g. ("support", "tickets"), so the pre-filter keeps the pattern's conjunction.

    None when no required token is spelled out.
    """
    options = sorted(
        (s for token in pattern if _required(token) and (s := _spellings(token)) is not None), key=len
    )
    if not options:
        return None
    if len(options) >= 2 and len(options[0]) * len(options[1]) <= MAX_KEY_COMBINATIONS:
        return [(a, b) for a in options[0] for b in options[1]]
    return [(a,) for a in options[0]]


def required_tokens(pattern: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The tokens every match of the pattern holds (those whose operator cannot match zero times)."""
    return [token for token in pattern if _required(token)]


def key_spellings(pattern: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """The spellings of the pattern's most selective required token: any text the pattern matches holds one of them.

    None when no required token is spelled out (ORTH/TEXT/LOWER, as a string or an IN list).
    """
    options = [s for token in pattern if _required(token) and (s := _spellings(token)) is not None]
    return min(options, key=len) if options else None
