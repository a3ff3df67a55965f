"""Text every store and encoder can take: NUL characters and lone surrogates replaced by U+FFFD. Pure.

JSON can carry both ("\\u0000", "\\ud800"), and a Python str holds them, but neither survives UTF-8 (SQLite's
driver, spaCy's string store) or PostgreSQL. A Slack event, an export's day file and a console line are passed
through here before anything stores or reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNSAFE = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates (in a Python str, only lone ones remain)
# the JSON escapes that decode to them; a file without any needs no walk over its values
ESCAPED_UNSAFE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
MAX_DEPTH = 40


def storable_text(text: str) -> tuple[str, int]:
    """`text` with every NUL and lone surrogate replaced by U+FFFD, and how many were replaced."""
    return UNSAFE.subn("\ufffd", text)


def storable(value: Any, depth: int = 0) -> tuple[Any, int]:
    """`value` (decoded JSON) with `storable_text` applied to every string, keys too; how many replaced.
    Raises ValueError past MAX_DEPTH levels of nesting."""
    if depth > MAX_DEPTH:
        raise ValueError("payload nested too deeply")
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, Mapping):
        total = 0
        out: dict[str, Any] = {}
        for key, item in value.items():
            k, nk = storable(str(key), depth + 1)
            v, nv = storable(item, depth + 1)
            out[k] = v
            total += nk + nv
        return out, total
    if isinstance(value, list):
        items = [storable(item, depth + 1) for item in value]
        return [v for v, _ in items], sum(n for _, n in items)
    return value, 0


def storable_json(raw: bytes, value: Any) -> tuple[Any, int]:
    """`storable(value)` for a value decoded from `raw`, skipping the walk when `raw` holds no unsafe escape."""
    return storable(value) if ESCAPED_UNSAFE.search(raw) else (value, 0)
