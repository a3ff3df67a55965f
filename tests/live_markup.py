"""What counts as live in Slack mrkdwn shown to people: a ping, a broadcast, or a link Slack would make."""

from __future__ import annotations

import re

LIVE = re.compile(
    r"<[@#!]|<[a-z][a-z0-9+.-]*:"  # markup: <@U1>, <#C1>, <!here>, <https://...>
    r"|@(?:here|channel|everyone)\b"  # broadcasts Slack parses without markup
    r"|://|\bwww\.|\b(?:mailto|tel):(?!\u2060)",  # bare links Slack would auto-link
    re.IGNORECASE,
)


def live_parts(text: str) -> list[str]:
    """Every live piece of `text` (empty when none)."""
    return [m.group(0) for m in LIVE.finditer(text)]
