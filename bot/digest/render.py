"""Render a digest as plain text or JSON, and the mrkdwn lines its Slack blocks are made of (bot.slack.blocks lays
them out as Block Kit). Pure: no Slack SDK."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any, Literal

from bot.digest.build import ChannelBalance, Digest, ExampleItem
from bot.mrkdwn import clip_escaped, escape, neutralise
from bot.week import IsoWeek, span

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
MAX_ROWS = 15  # rows per list in Slack before "…and N more"
EXCERPT_LIMIT = 400
SPARK = "▁▂▃▄▅▆▇█"
NO_DATA = "·"
SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")
FOOTER = "Mirage asks for user evidence when a team leans on benchmark scores alone."
MAX_URL = 1000
ARROWS = {"improving": "improving ↘", "worsening": "worsening ↗", "steady": "steady →", "new": "first week with data"}


def sparkline(shares: list[float | None]) -> str:
    """One character per week: the benchmark-leaning share on an absolute 0..1 scale, "·" for a week with none."""
    return "".join(NO_DATA if s is None else SPARK[min(len(SPARK) - 1, int(s * len(SPARK)))] for s in shares)


def signed(change: int) -> str:
    return f"+{change}" if change > 0 else ("±0" if change == 0 else str(change))


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{round(share * 100)}%"


def channel_ref(channel_id: str) -> str:
    """A Slack channel mention; the id is reduced to the characters Slack ids are made of (none left: a word)."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", channel_id)
    return f"<#{cleaned}>" if cleaned else "an unknown channel"


def channel_label(channel_id: str, name: str | None, mrkdwn: bool) -> str:
    """In Slack a <#C…> mention (Slack shows the name); in plain text "#name" when known, else "#C…"."""
    if mrkdwn or not name:
        ref = channel_ref(channel_id)
        return ref if mrkdwn or not ref.startswith("<#") else f"#{ref[2:-1]}"
    return f"#{escape(name)}"


def fit_lines(title: str, lines: list[str], limit: int = SECTION_LIMIT, max_rows: int | None = MAX_ROWS) -> str:
    """`title` and as many `lines` as fit in `limit` characters (and `max_rows`), then "…and N more"."""
    shown: list[str] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        over_rows = max_rows is not None and len(shown) >= max_rows
        candidate = "\n".join([title, *shown, line] + ([_more(rest)] if rest else []))
        if over_rows or len(candidate) > limit:
            break
        shown.append(line)
    hidden = len(lines) - len(shown)
    return "\n".join([title, *shown] + ([_more(hidden)] if hidden else []))


def _more(count: int) -> str:
    return f"…and {count} more"


def _week_span(d: Digest) -> str:
    return span(d.week)


def summary(d: Digest) -> str:
    """One line: the week and the headline number. Also the notification text of the Slack message."""
    if d.quiet:
        return f"Mirage digest {d.week}: a quiet week, no benchmark-only claims."
    return (
        f"Mirage digest {d.week}: {d.total_this_week} benchmark-only claim{'s' if d.total_this_week != 1 else ''} "
        f"({signed(d.total_change)} vs last week)."
    )


def newest_data_hint(week: IsoWeek, newest: date | None, how: str) -> str | None:
    """For a quiet week when the workspace's data lies elsewhere: where it is, and `how` to see it ({week} is filled
    in), e.g. "No claims in 2026-W48; the newest data is in 2024-W14 (Apr 1 – 7, 2024): ..."."""
    if newest is None or IsoWeek.of(newest) == week:
        return None
    there = IsoWeek.of(newest)
    return (f"No claims in {week}; the newest data is in {there} ({span(there)}): "
            f"{how.format(week=there)}")


# ---------------------------------------------------------------- lines shared by text and blocks


def _card_lines(d: Digest, mrkdwn: bool) -> list[str]:
    name = escape if mrkdwn else str
    return [f"• {c.card_id} {name(c.name)}: {c.this_week} ({signed(c.change)})" for c in d.cards]


def _channel_lines(d: Digest, mrkdwn: bool) -> list[str]:
    return [f"• {channel_label(c.channel_id, c.name, mrkdwn)}: {c.this_week} ({signed(c.change)})"
            for c in d.channels]


def _balance_line(b: ChannelBalance, label: str) -> str:
    point = b.this_week
    spark = sparkline([p.share for p in b.trend])
    return (
        f"• {label}: {percent(point.share)} benchmark-leaning "
        f"({point.benchmark_messages} benchmark / {point.user_outcome_messages} user-outcome) "
        f"`{spark}` {ARROWS[b.direction]}"
    )


def _balance_lines(d: Digest, mrkdwn: bool) -> list[str]:
    return [_balance_line(b, channel_label(b.channel_id or "", b.name, mrkdwn)) for b in d.balance]


def _feedback_lines(d: Digest, mrkdwn: bool) -> list[str]:
    name = escape if mrkdwn else str
    return [
        f"• {f.card_id} {name(f.name)}: {f.helpful} helpful, {f.not_relevant} not relevant, "
        f"{f.has_evidence} had user evidence ({percent(f.helpful_rate)} helpful)"
        for f in d.feedback
    ]


def _shadow_lines(d: Digest, mrkdwn: bool) -> list[str]:
    name = escape if mrkdwn else str
    return [
        f"• {s.card_id} {name(s.name)}: would have replied {s.this_week} time{'s' if s.this_week != 1 else ''} "
        f"({signed(s.change)})"
        for s in d.shadow
    ]


def _example_text(e: ExampleItem, mrkdwn: bool) -> str:
    excerpt = clip_escaped(e.excerpt, EXCERPT_LIMIT)
    head = f"{e.card_id} in {channel_label(e.channel_id, e.channel_name, mrkdwn)} · confidence {e.confidence:.2f}"
    link = e.permalink if e.permalink and len(e.permalink) <= MAX_URL and SAFE_URL.match(e.permalink) else None
    if mrkdwn:
        quoted = "\n".join(f">{neutralise(line)}" for line in excerpt.splitlines() or [""])
        return f"{quoted}\n{head}" + (f" · <{link}|view message>" if link else "")
    return f"  “{excerpt}”\n    {head}" + (f" · {link}" if link else "")


# ---------------------------------------------------------------- plain text


def to_text(d: Digest) -> str:
    """The whole digest as plain text (CLI output). Excerpts stay escaped as stored."""
    name = f"{d.workspace_name} — " if d.workspace_name else ""
    lines = [f"Mirage weekly digest — {name}{d.week} ({_week_span(d)})", summary(d), ""]
    if d.quiet:
        lines.append("A quiet week: nobody leaned on a benchmark alone. Nice work, and enjoy it.")
        if d.total_previous_week:
            lines.append(f"(Last week there were {d.total_previous_week}.)")
    else:
        sections = [
            ("By card", _card_lines(d, mrkdwn=False)),
            ("By channel", _channel_lines(d, mrkdwn=False)),
            ("Benchmark vs user-outcome talk (share benchmark-leaning, 8 weeks)", _balance_lines(d, mrkdwn=False)),
            ("Nudge feedback", _feedback_lines(d, mrkdwn=False)),
            ("Shadow cards (logged, never posted)", _shadow_lines(d, mrkdwn=False)),
            ("Examples", [_example_text(e, mrkdwn=False) for e in d.examples]),
        ]
        for title, rows in sections:
            if rows:
                lines += [title, *rows, ""]
    if d.overall_balance.share is not None:
        lines.append(_balance_line(d.overall_balance, "Whole workspace").removeprefix("• "))
    if d.question is not None:
        lines += ["", "Question of the week", f"  {d.question.text} ({d.question.card_id} {d.question.card_name})"]
    return "\n".join(lines).strip() + "\n"


# ---------------------------------------------------------------- JSON


def _balance_json(b: ChannelBalance) -> dict[str, Any]:
    return {
        "channel_id": b.channel_id,
        "channel_name": b.name,
        "direction": b.direction,
        "share": _round(b.share),
        "benchmark_messages": b.this_week.benchmark_messages,
        "user_outcome_messages": b.this_week.user_outcome_messages,
        "messages": b.this_week.messages,
        "trend": [
            {
                "week": str(p.week),
                "share": _round(p.share),
                "benchmark_messages": p.benchmark_messages,
                "user_outcome_messages": p.user_outcome_messages,
                "messages": p.messages,
            }
            for p in b.trend
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def to_dict(d: Digest) -> dict[str, Any]:
    """The digest as plain JSON-ready data."""
    return {
        "workspace_id": d.workspace_id,
        "workspace_name": d.workspace_name,
        "week": str(d.week),
        "week_start": d.week.monday.isoformat(),
        "week_end": (d.week.monday + timedelta(days=6)).isoformat(),
        "quiet": d.quiet,
        "totals": {"this_week": d.total_this_week, "previous_week": d.total_previous_week, "change": d.total_change},
        "cards": [
            {"card_id": c.card_id, "name": c.name, "this_week": c.this_week, "previous_week": c.previous_week,
             "change": c.change}
            for c in d.cards
        ],
        "channels": [
            {"channel_id": c.channel_id, "channel_name": c.name, "this_week": c.this_week,
             "previous_week": c.previous_week, "change": c.change}
            for c in d.channels
        ],
        "balance": [_balance_json(b) for b in d.balance],
        "overall_balance": _balance_json(d.overall_balance),
        "feedback": [
            {"card_id": f.card_id, "name": f.name, "helpful": f.helpful, "not_relevant": f.not_relevant,
             "has_evidence": f.has_evidence, "total": f.total, "helpful_rate": _round(f.helpful_rate)}
            for f in d.feedback
        ],
        "shadow": [
            {"card_id": s.card_id, "name": s.name, "would_have_replied": s.this_week,
             "previous_week": s.previous_week, "change": s.change}
            for s in d.shadow
        ],
        "examples": [
            {"card_id": e.card_id, "card_name": e.card_name, "channel_id": e.channel_id,
             "channel_name": e.channel_name, "excerpt": e.excerpt, "confidence": round(e.confidence, 4),
             "created_at": e.created_at_iso, "permalink": e.permalink}
            for e in d.examples
        ],
        "question_of_the_week": None if d.question is None else {
            "card_id": d.question.card_id, "card_name": d.question.card_name, "text": d.question.text,
        },
    }


def to_json(d: Digest) -> str:
    """Stable JSON: sorted keys, ISO dates, shares rounded to 4 places."""
    return json.dumps(to_dict(d), sort_keys=True, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- the Slack layout (plain data)

PieceKind = Literal["header", "section", "context", "divider"]
Piece = tuple[PieceKind, str]


def _piece(kind: PieceKind, text: str) -> Piece:
    return (kind, text)


def slack_layout(d: Digest) -> list[Piece]:
    """The digest as Slack blocks, in plain data: at most 50 pieces, every section within Slack's 3000 characters
    (bot.slack.blocks turns each piece into a validated Block Kit block, mrkdwn `verbatim`).

    Channel ids become <#C…> mentions; card names and questions are escaped; excerpts arrive escaped and are not
    escaped twice (they are neutralised again, in case an older row was stored before that).
    """
    header = f"Mirage weekly digest · {d.week}"
    blocks: list[Piece] = [("header", header[:HEADER_LIMIT])]
    if d.quiet:
        blocks.append(_piece("section",
            f"*A quiet week* ({_week_span(d)}): nobody leaned on a benchmark alone. Nice work, and enjoy it. :sunny:"
        ))
        if d.total_previous_week:
            blocks.append(_piece("context", f"Last week there were {d.total_previous_week}."))
    else:
        blocks.append(_piece("section",
            f"*{d.total_this_week}* benchmark-only claim{'s' if d.total_this_week != 1 else ''} this week "
            f"({signed(d.total_change)} vs last week) · {_week_span(d)}"
        ))
        blocks.append(("divider", ""))
        for title, rows in (
            ("*By card*", _card_lines(d, mrkdwn=True)),
            ("*By channel*", _channel_lines(d, mrkdwn=True)),
            ("*Benchmark vs user-outcome talk* (share benchmark-leaning, last 8 weeks)",
             _balance_lines(d, mrkdwn=True)),
            ("*Nudge feedback*", _feedback_lines(d, mrkdwn=True)),
            ("*Shadow cards* (logged, never posted)", _shadow_lines(d, mrkdwn=True)),
        ):
            if rows:
                blocks.append(_piece("section", fit_lines(title, rows)))
    tail: list[Piece] = []
    if d.overall_balance.share is not None:
        tail.append(_piece("context", _balance_line(d.overall_balance, "Whole workspace").removeprefix("• ")))
    if d.question is not None:
        tail.append(("divider", ""))
        tail.append(_piece("section", clip_escaped(
            f"*Question of the week*\n{escape(d.question.text)}\n_{d.question.card_id} {escape(d.question.card_name)}_",
            SECTION_LIMIT,
        )))
    tail.append(_piece("context", FOOTER))
    if d.examples and not d.quiet:
        # the examples give way first when blocks run short: the header, sections and tail always fit
        room = MAX_BLOCKS - len(blocks) - len(tail) - 2
        shown = list(d.examples) if len(d.examples) <= room else list(d.examples[: max(room - 1, 0)])
        blocks += [("divider", ""), _piece("section", "*Examples*")]
        blocks += [_piece("section", clip_escaped(_example_text(e, mrkdwn=True), SECTION_LIMIT)) for e in shown]
        if len(shown) < len(d.examples):
            blocks.append(_piece("context", _more(len(d.examples) - len(shown)) + " examples"))
    blocks += tail
    return blocks
