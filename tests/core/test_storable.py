"""Text every store can take: NULs and lone surrogates become U+FFFD, everything else is kept as it is."""

from __future__ import annotations

import json

import pytest

from bot.storable import MAX_DEPTH, storable, storable_json, storable_text


def test_nul_and_lone_surrogates_become_u_fffd_and_are_counted() -> None:
    """Each NUL and each lone surrogate is one U+FFFD; a real emoji (no surrogate in a Python str) stays."""
    assert storable_text("a\x00b\ud800c\udfff 🚀") == ("a\ufffdb\ufffdc\ufffd 🚀", 3)
    assert storable_text("plain") == ("plain", 0)


def test_every_string_of_decoded_json_is_made_storable_keys_too() -> None:
    """Nested objects and lists are walked; numbers, booleans and None pass through."""
    value = {"k\x00": [{"text": "x\ud800"}, 3, None, True]}
    assert storable(value) == ({"k\ufffd": [{"text": "x\ufffd"}, 3, None, True]}, 2)


def test_too_deep_a_payload_is_refused() -> None:
    """Nesting past MAX_DEPTH raises ValueError (the callers report it and skip the payload)."""
    deep: object = "x"
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        storable(deep)


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\uDBFF", "\\udc00", "\\uDFFF"])
def test_json_with_an_unsafe_escape_is_walked(escape: str) -> None:
    """The raw bytes decide whether the walk is needed: any escape of a NUL or a surrogate, in either case."""
    raw = ('["a' + escape + 'b"]').encode()
    fixed, replaced = storable_json(raw, json.loads(raw))
    assert (fixed, replaced) == (["a\ufffdb"], 1)


def test_json_with_a_surrogate_pair_or_other_escapes_is_left_alone() -> None:
    """An escaped emoji pair decodes to one character, so there is nothing to replace; other escapes neither."""
    raw = b'["\\ud83d\\ude80 \\u00e9 \\u2028"]'
    value = json.loads(raw)
    fixed, replaced = storable_json(raw, value)
    assert replaced == 0 and fixed == ["🚀 é \u2028"]
