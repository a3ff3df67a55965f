"""Turn a raw Slack message into the text the writer asserted: no quotes, no code, no markup."""

from __future__ import annotations

import html
import re

MAX_CHARS = 10_000  # longer messages are judged on their first 10,000 characters

_CODE_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_BLOCK_QUOTE = re.compile(r"^[ \t]*(?:>>>|&gt;&gt;&gt;).*\Z", re.DOTALL | re.MULTILINE)
_QUOTE_LINE = re.compile(r"^[ \t]*(?:>|&gt;).*$", re.MULTILINE)
_DOUBLE_QUOTED = re.compile(r"\"[^\"\n]{1,600}\"|“[^”\n]{1,600}”|„[^“”\n]{1,600}[“”]|«[^»\n]{1,600}»|‘[^’\n]{2,600}’")
# 'single quotes' around a phrase (an apostrophe between letters, as in we're, stays inside)
_SINGLE_QUOTED = re.compile(r"(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w)){2,600}'(?!\w)")
_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<![^>]*>")
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel):[^>|]*(?:\|([^>]*))?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t]{2,}")


def strip_markup(text: str) -> str:
    """Replace Slack mentions, links and special mentions with plain words; unescape `&amp;` and friends."""
    text = _SLACK_USER.sub(" @user ", text)
    text = _SLACK_CHANNEL.sub(lambda m: f" #{m.group(1) or 'channel'} ", text)
    text = _SLACK_SPECIAL.sub(" ", text)
    text = _SLACK_LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    return html.unescape(text)


def clean(text: str) -> str:
    """The part of `text` its writer asserted: code, Slack quotes and quoted phrases are dropped."""
    text = _CONTROL.sub(" ", text[:MAX_CHARS])
    text = _CODE_FENCE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _BLOCK_QUOTE.sub(" ", text)
    text = _QUOTE_LINE.sub(" ", text)
    text = strip_markup(text)
    text = _DOUBLE_QUOTED.sub(" ", text)
    text = _SINGLE_QUOTED.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
