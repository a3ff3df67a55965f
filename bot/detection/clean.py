"""Turn a raw Slack message into the text the writer asserted: no quotes, no code, no markup."""

from __future__ import annotations

import html
import re

from bot.detection.prefilter import CJK

MAX_CHARS = 10_000  # longer messages are judged on their first 10,000 characters

_CODE_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]*)`")
# code inside backticks: an identifier, path, flag, call or expression (a name such as `Code Editing Leaderboard` or
# `BigCodeBench-Complete` is prose set in code type, and stays)
_CODE_LIKE = re.compile(r"[_/\\#=(){}\[\]<>$;:|*@]|^\s*-|[^\W\d_]\.[^\W\d_]")
_BLOCK_QUOTE = re.compile(r"^[ \t]*(?:>>>|&gt;&gt;&gt;).*\Z", re.DOTALL | re.MULTILINE)
_QUOTE_LINE = re.compile(r"^[ \t]*(?:>|&gt;).*$", re.MULTILINE)
_DOUBLE_QUOTED = re.compile(r"\"[^\"\n]{1,600}\"|“[^”\n]{1,600}”|„[^“”\n]{1,600}[“”]|«[^»\n]{1,600}»|‘[^’\n]{2,600}’")
# 'single quotes' around a phrase (an apostrophe between letters, as in we're, stays inside)
_SINGLE_QUOTED = re.compile(r"(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w)){2,600}'(?!\w)")
_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<![^>]*>")
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel):[^>|]*(?:\|([^>]*))?>")
# a bare web address, as GitHub text and pasted model cards carry them
_URL = re.compile(r"\bhttps?://[^\s<>|()\[\]\"'`]+")
_URL_WORD = re.compile(r"[^\W_]*[^\W\d_][^\W_]*")
_JOINED = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")  # snake_case names: open_llm_leaderboard, SWE-bench_Verified
# control and zero-width characters, and lone surrogates ("\ud800" in JSON decodes to one; it survives no UTF-8
# encoder, spaCy's string store included)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t]{2,}")
# where a Latin word and Chinese, Japanese or Korean letters meet with no space ("MT-BenchとArena Hardで")
_SCRIPT_EDGE = re.compile(rf"(?<=[{CJK}])(?=[^\W_{CJK}])|(?<=[^\W_{CJK}])(?=[{CJK}])")


def link_words(url: str) -> str:
    """The words a web address names, without its scheme: a leaderboard given only as a link still says so.

    "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard" -> "huggingface co spaces open llm
    leaderboard open llm leaderboard".
    """
    return " ".join(_URL_WORD.findall(url.split("://", 1)[-1][:300]))


def strip_markup(text: str) -> str:
    """Replace Slack mentions, links and special mentions with plain words; unescape `&amp;` and friends.

    A link reads as its label, or as the words of its address when it has none."""
    text = _SLACK_USER.sub(" @user ", text)
    text = _SLACK_CHANNEL.sub(lambda m: f" #{m.group(1) or 'channel'} ", text)
    text = _SLACK_SPECIAL.sub(" ", text)
    text = _SLACK_LINK.sub(lambda m: f" {m.group(1) or link_words(m.group(0)[1:])} ", text)
    return html.unescape(text)


def _inline_code(match: re.Match[str]) -> str:
    """A name in backticks reads as its words; code in backticks is dropped."""
    code = match.group(1)
    return " " if _CODE_LIKE.search(code) else f" {code} "


def clean(text: str) -> str:
    """The part of `text` its writer asserted: code, Slack quotes and quoted phrases are dropped."""
    text = _CONTROL.sub(" ", text[:MAX_CHARS])
    text = _CODE_FENCE.sub(" ", text)
    text = _INLINE_CODE.sub(_inline_code, text)
    text = _BLOCK_QUOTE.sub(" ", text)
    text = _QUOTE_LINE.sub(" ", text)
    text = strip_markup(text)
    text = _DOUBLE_QUOTED.sub(" ", text)
    text = _SINGLE_QUOTED.sub(" ", text)
    text = _URL.sub(lambda m: f" {link_words(m.group(0))} ", text)
    text = _JOINED.sub(" ", text)
    text = _SCRIPT_EDGE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
