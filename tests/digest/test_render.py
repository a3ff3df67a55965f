"""Rendering: Slack blocks validate and respect limits, escaped text stays escaped, text and JSON carry the content."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from bot.catalog import Catalog
from bot.digest.build import Digest, build_digest, trend_weeks
from bot.digest.model import BalanceWeek, ClaimCount, DigestInput, Example, FeedbackCount
from bot.digest.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    clip_escaped,
    fit_lines,
    sparkline,
    summary,
    to_json,
    to_text,
)
from bot.slack.blocks import digest_blocks as to_blocks
from bot.week import IsoWeek

WEEK = IsoWeek(2026, 47)
T0 = datetime(2026, 11, 17, 10, 30, tzinfo=UTC)
ESCAPED = "it tops MMLU &amp; beats &lt;@U123&gt; &lt;!channel&gt; so ship"


def _busy(catalog: Catalog) -> Digest:
    data = DigestInput(
        "T1",
        WEEK,
        claims=(
            ClaimCount("FM-16", "C1", 5, 2),
            ClaimCount("RF-39", "C2", 1, 3),
            ClaimCount("FM-16", "C7", 2, 0, shadow=True),
        ),
        balance=tuple(BalanceWeek("C1", w, 8 - i, 2 + i, 30) for i, w in enumerate(trend_weeks(WEEK))),
        feedback=(FeedbackCount("FM-16", "helpful", 3), FeedbackCount("FM-16", "has_evidence", 1)),
        examples=(Example("FM-16", "C1", ESCAPED, 0.93, T0, "https://acme.slack.com/archives/C1/p1"),),
        channel_names={"C1": "model-evals"},
    )
    return build_digest(data, catalog)


def _huge(catalog: Catalog, channels: int = 200) -> Digest:
    ids = [f"C{i:04d}" for i in range(channels)]
    excerpt = ("&lt;@U1&gt; benchmark &amp; " * 400).strip()
    data = DigestInput(
        "T1",
        WEEK,
        claims=tuple(ClaimCount("FM-16" if i % 2 else "RF-39", ch, i % 7 + 1, i % 5) for i, ch in enumerate(ids)),
        balance=tuple(
            BalanceWeek(ch, w, (i + j) % 9, (i * j) % 5, 40) for i, ch in enumerate(ids) for j, w in enumerate(
                trend_weeks(WEEK)
            )
        ),
        feedback=tuple(FeedbackCount("FM-16", v, 10) for v in ("helpful", "not_relevant", "has_evidence")),
        examples=tuple(Example("FM-16", ids[i], excerpt, 0.9 - i / 100, T0, "https://x.slack.com/a/" + "p" * 5000)
                       for i in range(40)),
        channel_names={ch: "name-" * 40 for ch in ids},
    )
    return build_digest(data, catalog, max_examples=40)


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def _all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_blocks_validate_through_slack_sdk(catalog: Catalog) -> None:
    """Every block parses back into a slack_sdk model and re-validates; a header opens the message."""
    blocks = to_blocks(_busy(catalog))
    assert blocks[0]["type"] == "header" and "2026-W47" in blocks[0]["text"]["text"]
    for raw in blocks:
        model = Block.parse(raw)
        assert model is not None
        assert model.to_dict() == raw  # to_dict() runs slack_sdk's JSON validators
    assert {"header", "section", "context", "divider"} <= {b["type"] for b in blocks}


def test_blocks_limits_hold_with_200_channels_and_huge_excerpts(catalog: Catalog) -> None:
    """200 channels and 40 long examples stay within 50 blocks and 3000 characters a section, with "…and N more";
    examples give way to the question of the week and the footer."""
    blocks = to_blocks(_huge(catalog))
    assert len(blocks) <= MAX_BLOCKS
    texts = _section_texts(blocks)
    assert all(len(t) <= SECTION_LIMIT for t in texts)
    channel_section = next(t for t in texts if t.startswith("*By channel*"))
    assert "…and 185 more" in channel_section  # 15 rows shown of 200
    balance_section = next(t for t in texts if t.startswith("*Benchmark vs user-outcome"))
    assert "more" in balance_section.splitlines()[-1]
    assert blocks[-1]["type"] == "context"  # the footer survives the block cap
    assert any(t.startswith("*Question of the week*") for t in texts)  # so does the question
    shown_examples = sum(1 for t in texts if t.startswith(">"))
    assert f"…and {40 - shown_examples} more examples" in _all_text(blocks) and shown_examples > 20
    for raw in blocks:
        assert Block.parse(raw) is not None


def test_channel_ids_render_as_mentions(catalog: Catalog) -> None:
    """Channels are <#C…> mentions in blocks (Slack shows the name), never bare names that could be spoofed;
    plain text says #name where the store knows it and #C… where it does not."""
    d = _busy(catalog)
    text = _all_text(to_blocks(d))
    assert "<#C1>: 5 (+3)" in text and "<#C2>: 1 (-2)" in text
    assert "#model-evals: 5 (+3)" in to_text(d) and "#C2: 1 (-2)" in to_text(d) and "<#" not in to_text(d)
    named = replace(d, channels=tuple(replace(c, name="general") if c.channel_id == "C1" else c for c in d.channels))
    assert "#general: 5 (+3)" in to_text(named) and "<#C1>: 5 (+3)" in _all_text(to_blocks(named))


def test_escaped_excerpts_stay_escaped_and_are_not_escaped_twice(catalog: Catalog) -> None:
    """An excerpt stored escaped reaches Slack exactly as stored: no live mention, no &amp;lt; double escaping."""
    d = _busy(catalog)
    blocks_text = "\n".join(_section_texts(to_blocks(d)))
    assert ESCAPED in blocks_text
    assert "<@U123>" not in blocks_text and "<!channel>" not in blocks_text
    assert "&amp;lt;" not in blocks_text and "&amp;amp;" not in blocks_text
    assert ESCAPED in to_text(d)
    assert json.loads(to_json(d))["examples"][0]["excerpt"] == ESCAPED


def test_clipping_never_cuts_an_entity_in_half() -> None:
    """Shortened escaped text ends with an ellipsis and no dangling "&am"."""
    text = "abc &amp; def"
    for limit in range(1, len(text)):
        clipped = clip_escaped(text, limit)
        assert len(clipped) <= limit
        assert clipped.endswith("…")
        assert "&" not in clipped or "&amp;" in clipped


def test_fit_lines_adds_and_n_more() -> None:
    """fit_lines keeps whole lines within the limit and says how many were left out."""
    lines = [f"• line {i}" for i in range(100)]
    text = fit_lines("*T*", lines, limit=200, max_rows=None)
    assert len(text) <= 200
    shown = text.splitlines()[1:-1]
    assert text.endswith(f"…and {100 - len(shown)} more") and shown == lines[: len(shown)]
    assert fit_lines("*T*", lines[:3]) == "*T*\n• line 0\n• line 1\n• line 2"


def test_sparkline_scales_shares_and_marks_empty_weeks() -> None:
    """Shares map onto ▁..█ on an absolute scale; weeks without data show a dot."""
    assert sparkline([0.0, 0.5, 1.0, None]) == "▁▅█·"


def test_text_contains_totals_cards_balance_feedback_shadow_and_question(catalog: Catalog) -> None:
    """The plain text has every part of the digest, with names and signed changes."""
    d = _busy(catalog)
    text = to_text(d)
    assert "2026-W47 (Nov 16 – 22, 2026)" in text
    assert "6 benchmark-only claims (+1 vs last week)" in text
    assert "FM-16 The Benchmark Mirage: 5 (+3)" in text
    assert "#model-evals: 10% benchmark-leaning (1 benchmark / 9 user-outcome)" in text and "improving" in text
    assert "3 helpful, 0 not relevant, 1 had user evidence (75% helpful)" in text
    assert "would have replied 2 times" in text
    assert d.question is not None and d.question.text in text


def test_json_is_stable_with_iso_dates(catalog: Catalog) -> None:
    """JSON has sorted keys, ISO dates and the same content as the digest; two renders are identical."""
    d = _busy(catalog)
    raw = to_json(d)
    assert raw == to_json(d)
    data = json.loads(raw)
    assert list(data) == sorted(data)
    assert (data["week"], data["week_start"], data["week_end"]) == ("2026-W47", "2026-11-16", "2026-11-22")
    assert data["totals"] == {"this_week": 6, "previous_week": 5, "change": 1}
    assert data["examples"][0]["created_at"] == "2026-11-17T10:30:00+00:00"
    assert data["feedback"][0]["helpful_rate"] == 0.75
    assert data["shadow"][0] == {"card_id": "FM-16", "name": "The Benchmark Mirage", "would_have_replied": 2,
                                 "previous_week": 0, "change": 2}
    assert data["balance"][0]["direction"] == "improving" and len(data["balance"][0]["trend"]) == 8
    assert data["quiet"] is False


def test_quiet_week_renders_a_short_pleasant_message(catalog: Catalog) -> None:
    """A week without claims is a few friendly lines, not an empty table, in every format."""
    d = build_digest(DigestInput("T1", WEEK, claims=(ClaimCount("FM-16", "C1", 0, 2),)), catalog)
    blocks = to_blocks(d)
    assert len(blocks) <= 8
    text = _all_text(blocks)
    assert "quiet week" in text.lower() and "By channel" not in text and "By card" not in text
    assert "Last week there were 2." in text
    plain = to_text(d)
    assert "quiet week" in plain.lower() and "By card" not in plain and len(plain.splitlines()) < 12
    assert "quiet week" in summary(d)
    assert json.loads(to_json(d))["quiet"] is True


def test_long_permalinks_and_odd_channel_ids_cannot_break_markup(catalog: Catalog) -> None:
    """A permalink that is not a plain URL is dropped, and a channel id is reduced to id characters."""
    data = DigestInput(
        "T1",
        WEEK,
        claims=(ClaimCount("FM-16", "C1>|<!here", 1, 0),),
        examples=(Example("FM-16", "C1", "x", 0.9, T0 + timedelta(hours=1), "javascript:alert(1)|<!here>"),),
    )
    text = _all_text(to_blocks(build_digest(data, catalog)))
    assert "<!here" not in text and "javascript:" not in text
    assert "<#C1here>" in text
