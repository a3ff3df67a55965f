"""What a replay found, gathered while it runs, and rendered as text, JSON or a self-contained HTML page. Pure."""

from __future__ import annotations

import heapq
import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Protocol

from bot.replay.export import ExportMessage, Problem, ReadStats
from bot.week import IsoWeek

TOP_CLAIMS = 20


class DayCountsLike(Protocol):
    messages: int
    benchmark: int
    user_outcome: int


EXCERPT_CHARS = 300
SHOWN_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class TypicalClaim:
    """One claim worth reading: the most confident ones make the report's top list."""

    card_id: str
    confidence: float
    channel_id: str
    channel_name: str
    ts: str
    day: date
    text: str
    triggers: tuple[str, ...]


@dataclass(slots=True)
class MonthBalance:
    """Messages in one month, how many leaned on benchmarks, how many cited user outcomes."""

    messages: int = 0
    benchmark_messages: int = 0
    user_outcome_messages: int = 0

    @property
    def benchmark_share(self) -> float:
        return self.benchmark_messages / self.messages if self.messages else 0.0


@dataclass(frozen=True, slots=True)
class PastDigest:
    """The weekly digest Mirage would have posted for one past week, rendered from the replayed store."""

    week: str
    text: str
    data: dict[str, object]


@dataclass(frozen=True, slots=True)
class CardInfo:
    name: str
    mode: str


@dataclass(slots=True)
class Timings:
    """Seconds spent per phase; `wall` is the whole run, start to end."""

    parse: float = 0.0
    detect: float = 0.0
    store: float = 0.0
    wall: float = 0.0


@dataclass(slots=True)
class ReplayReport:
    """Everything a replay found. Counters are filled while it runs; `top_claims()` ranks the typical ones."""

    export: str
    workspace_id: str
    dry_run: bool
    channels_filter: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    read: ReadStats = field(default_factory=ReadStats)
    claims: int = 0
    stored: int = 0
    already_stored: int = 0
    balance_days_written: int = 0
    by_card: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_month: Counter[str] = field(default_factory=Counter)
    by_week: Counter[str] = field(default_factory=Counter)
    balance: dict[str, MonthBalance] = field(default_factory=dict)
    cards: dict[str, CardInfo] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    timings: Timings = field(default_factory=Timings)
    digests: list[PastDigest] = field(default_factory=list)
    digest_env: str = ""  # e.g. "DATABASE_URL=sqlite:///x.db " when the replay did not use the default database
    _top: list[tuple[float, int, TypicalClaim]] = field(default_factory=list)
    _top_texts: set[str] = field(default_factory=set)
    _seen: int = 0

    # ---- filling ----------------------------------------------------------------------------------------------

    def count_days(self, days: Iterable[tuple[date, DayCountsLike]]) -> None:
        """Add one channel's per-day balance counts to the per-month balance."""
        for day, counts in days:
            month = self.balance.setdefault(f"{day.year:04d}-{day.month:02d}", MonthBalance())
            month.messages += counts.messages
            month.benchmark_messages += counts.benchmark
            month.user_outcome_messages += counts.user_outcome

    def count_claim(
        self, message: ExportMessage, card_id: str, confidence: float, triggers: tuple[str, ...]
    ) -> None:
        self.claims += 1
        day = message.day
        self.by_card[card_id] += 1
        self.by_channel[message.channel_id] += 1
        self.channel_names.setdefault(message.channel_id, message.channel_name)
        self.by_month[f"{day.year:04d}-{day.month:02d}"] += 1
        self.by_week[str(IsoWeek.of(day))] += 1
        self._offer(message, card_id, confidence, triggers, day)

    def _offer(
        self, message: ExportMessage, card_id: str, confidence: float, triggers: tuple[str, ...], day: date
    ) -> None:
        """Keep the TOP_CLAIMS most confident claims, earliest first on ties, one per distinct text."""
        self._seen += 1
        key = " ".join(message.text.lower().split())
        if key in self._top_texts:
            return
        entry = (confidence, -self._seen, TypicalClaim(
            card_id, confidence, message.channel_id, message.channel_name, message.ts, day,
            message.text[:EXCERPT_CHARS], triggers,
        ))
        if len(self._top) < TOP_CLAIMS:
            heapq.heappush(self._top, entry)
            self._top_texts.add(key)
        elif entry[:2] > self._top[0][:2]:
            dropped = heapq.heappushpop(self._top, entry)
            self._top_texts.discard(" ".join(dropped[2].text.lower().split()))
            self._top_texts.add(key)

    # ---- reading ----------------------------------------------------------------------------------------------

    def top_claims(self) -> list[TypicalClaim]:
        return [claim for _, _, claim in sorted(self._top, key=lambda e: (-e[0], -e[1]))]

    @property
    def messages(self) -> int:
        return self.read.messages

    def channel_label(self, channel_id: str) -> str:
        name = self.channel_names.get(channel_id)
        return f"#{name}" if name and name != channel_id else channel_id

    def card_label(self, card_id: str) -> str:
        info = self.cards.get(card_id)
        if info is None:
            return card_id
        return f"{card_id} {info.name}" + (" (shadow)" if info.mode == "shadow" else "")

    def weeks(self) -> list[tuple[str, int]]:
        return sorted(self.by_week.items())

    def digest_command(self, week: str) -> str:
        return f"{self.digest_env}mirage digest --week {week} --workspace {self.workspace_id}"

    def as_dict(self) -> dict[str, object]:
        rate = self.messages / self.timings.wall if self.timings.wall > 0 else None
        return {
            "export": self.export,
            "workspace_id": self.workspace_id,
            "dry_run": self.dry_run,
            "filters": {
                "channels": list(self.channels_filter),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
            },
            "read": {
                "day_files": self.read.day_files,
                "entries": self.read.entries,
                "messages": self.read.messages,
                "bot_messages": self.read.bot_messages,
                "system_messages": self.read.system_messages,
                "out_of_range": self.read.out_of_range,
                "replaced_characters": self.read.replaced_characters,
                "problem_count": self.read.problem_count,
                "problems": [asdict(p) for p in self.read.problems],
            },
            "claims": self.claims,
            "stored": self.stored,
            "already_stored": self.already_stored,
            "balance_days_written": self.balance_days_written,
            "claims_by_card": [
                {"card_id": c, "name": self.cards[c].name if c in self.cards else None, "claims": n}
                for c, n in sorted(self.by_card.items(), key=lambda i: (-i[1], i[0]))
            ],
            "claims_by_channel": [
                {"channel_id": c, "name": self.channel_names.get(c), "claims": n}
                for c, n in sorted(self.by_channel.items(), key=lambda i: (-i[1], i[0]))
            ],
            "claims_by_month": dict(sorted(self.by_month.items())),
            "balance_by_month": {
                m: {
                    "messages": b.messages,
                    "benchmark_messages": b.benchmark_messages,
                    "user_outcome_messages": b.user_outcome_messages,
                }
                for m, b in sorted(self.balance.items())
            },
            "top_claims": [
                {
                    "card_id": t.card_id,
                    "confidence": round(t.confidence, 3),
                    "channel_id": t.channel_id,
                    "channel": t.channel_name,
                    "date": t.day.isoformat(),
                    "ts": t.ts,
                    "text": t.text,
                    "triggers": list(t.triggers),
                }
                for t in self.top_claims()
            ],
            "weeks": [
                {"week": w, "claims": n, "digest_command": self.digest_command(w)} for w, n in self.weeks()
            ],
            "digests": [{"week": d.week, "digest": d.data} for d in self.digests],
            "timings_s": {
                "parse": round(self.timings.parse, 3),
                "detect": round(self.timings.detect, 3),
                "store": round(self.timings.store, 3),
                "wall": round(self.timings.wall, 3),
            },
            "messages_per_s": round(rate) if rate is not None else None,
        }


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "·" * (width - filled)


def _trend_scale(report: ReplayReport) -> float:
    return max((b.benchmark_share for b in report.balance.values()), default=0.0) or 1.0


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 problem", "2 problems", "1,204 claims"."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _typical_title(count: int) -> str:
    return "The most typical claim" if count == 1 else f"The {count} most typical claims"


# ---- text ------------------------------------------------------------------------------------------------------


def to_text(report: ReplayReport) -> str:
    r = report.read
    lines = [
        f"Mirage replay of {report.export} (workspace {report.workspace_id})"
        + (" — dry run, nothing stored" if report.dry_run else ""),
        f"Read {r.day_files:,} day files: {r.messages:,} human messages, {r.bot_messages:,} bot messages and "
        f"{r.system_messages:,} system messages skipped"
        + (f", {r.out_of_range:,} outside the dates" if r.out_of_range else "")
        + f"; {plural(r.problem_count, 'problem')}."
        + (f" {plural(r.replaced_characters, 'NUL or lone-surrogate character')} read as U+FFFD."
           if r.replaced_characters else ""),
        f"Claims found: {report.claims:,}"
        + ("" if report.dry_run else f" ({report.stored:,} stored, {report.already_stored:,} already stored)"),
        "",
    ]
    lines += _text_table("Claims per card", [(report.card_label(c), n) for c, n in report.by_card.most_common()])
    lines += _text_table(
        "Claims per channel", [(report.channel_label(c), n) for c, n in report.by_channel.most_common()]
    )
    lines += _text_table("Claims per month", sorted(report.by_month.items()))
    if report.balance:
        scale = _trend_scale(report)
        lines.append("Balance per month (messages, leaning on benchmarks, citing user outcomes)")
        for month, b in sorted(report.balance.items()):
            lines.append(
                f"  {month}  {b.messages:>9,}  {b.benchmark_messages:>7,} ({b.benchmark_share:6.2%})"
                f"  {b.user_outcome_messages:>7,}  {_bar(b.benchmark_share / scale)}"
            )
        lines.append("")
    top = report.top_claims()
    if top:
        lines.append(_typical_title(len(top)))
        for i, t in enumerate(top, start=1):
            text = " ".join(t.text.split())
            lines.append(f"  {i:>2}. {t.confidence:.2f} {t.card_id} {report.channel_label(t.channel_id)} {t.day}")
            lines.append(f"      “{text[:160]}{'…' if len(text) > 160 else ''}”")
        lines.append("")
    weeks = report.weeks()
    if weeks:
        lines.append(f"Weekly digests Mirage would have posted ({plural(len(weeks), 'week')} with claims)")
        for week, n in weeks:
            lines.append(f"  {week}  {n:>6,} {'claim ' if n == 1 else 'claims'}   {report.digest_command(week)}")
        if report.dry_run:
            lines.append("  (dry run: replay without --dry-run to store the claims, then render a week's digest)")
        lines.append("")
    for digest in report.digests:
        lines += [f"---- digest {digest.week} " + "-" * 60, digest.text.rstrip(), ""]
    if r.problem_count:
        lines.append(f"Problems ({r.problem_count:,}; skipped, the replay went on)")
        lines += [f"  {p}" for p in r.problems[:SHOWN_PROBLEMS]]
        if r.problem_count > SHOWN_PROBLEMS:
            lines.append(f"  ... and {r.problem_count - SHOWN_PROBLEMS:,} more (see --report json)")
        lines.append("")
    tm = report.timings
    rate = f"{report.messages / tm.wall:,.0f} messages/s" if tm.wall > 0 else "n/a"
    lines.append(
        f"Time: {tm.wall:.2f} s ({rate}); parse {tm.parse:.2f} s, detect {tm.detect:.2f} s, store {tm.store:.2f} s"
    )
    return "\n".join(lines) + "\n"


def _text_table(title: str, rows: list[tuple[str, int]]) -> list[str]:
    if not rows:
        return [f"{title}: none", ""]
    width = max(len(label) for label, _ in rows)
    return [title, *(f"  {label:<{width}}  {n:>7,}" for label, n in rows), ""]


# ---- JSON ------------------------------------------------------------------------------------------------------


def to_json(report: ReplayReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


# ---- HTML ------------------------------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .7rem;text-align:left;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums}.bar{background:#e4572e;height:.7rem;display:inline-block}
blockquote{margin:.2rem 0 .8rem 1rem;color:#444;white-space:pre-wrap}code{background:#f4f4f4;padding:0 .2rem}
.muted{color:#777}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _html_table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{v:,}</td>' if isinstance(v, int) else f"<td>{v if isinstance(v, _Raw) else _e(v)}</td>"
            for v in row
        ) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


class _Raw(str):
    """Markup built here from escaped parts; not escaped again."""


def to_html(report: ReplayReport) -> str:
    r = report.read
    scale = _trend_scale(report)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Mirage replay — {_e(report.workspace_id)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Mirage replay of <code>{_e(report.export)}</code></h1>",
        f"<p>Workspace <code>{_e(report.workspace_id)}</code>"
        + (" — <strong>dry run</strong>, nothing stored" if report.dry_run else "")
        + f". {r.day_files:,} day files, {r.messages:,} human messages ({r.bot_messages:,} bot and "
        f"{r.system_messages:,} system messages skipped), {plural(r.problem_count, 'problem')}. "
        f"<strong>{plural(report.claims, 'claim')}</strong>"
        + ("" if report.dry_run else f" ({report.stored:,} stored, {report.already_stored:,} already stored)")
        + ".</p>",
        "<h2>Claims per card</h2>",
        _html_table(("card", "claims"), [(report.card_label(c), n) for c, n in report.by_card.most_common()]),
        "<h2>Claims per channel</h2>",
        _html_table(("channel", "claims"), [(report.channel_label(c), n) for c, n in report.by_channel.most_common()]),
        "<h2>Claims per month</h2>",
        _html_table(("month", "claims"), sorted(report.by_month.items())),
        "<h2>Balance per month</h2>",
        _html_table(
            ("month", "messages", "leaning on benchmarks", "share", "citing user outcomes", ""),
            [
                (
                    m, b.messages, b.benchmark_messages, f"{b.benchmark_share:.2%}", b.user_outcome_messages,
                    _Raw(f'<span class="bar" style="width:{round(100 * b.benchmark_share / scale)}px"></span>'),
                )
                for m, b in sorted(report.balance.items())
            ],
        ),
    ]
    if report.top_claims():
        parts.append(f"<h2>{_typical_title(len(report.top_claims()))}</h2>")
    for t in report.top_claims():
        parts.append(
            f"<p><strong>{t.confidence:.2f}</strong> {_e(t.card_id)} in {_e(report.channel_label(t.channel_id))} "
            f"on {t.day.isoformat()} <span class=\"muted\">(matched: {_e(' + '.join(t.triggers))})</span></p>"
            f"<blockquote>{_e(t.text)}</blockquote>"
        )
    parts.append("<h2>Weekly digests Mirage would have posted</h2>")
    parts.append(_html_table(
        ("week", "claims", "render with"),
        [(w, n, _Raw(f"<code>{_e(report.digest_command(w))}</code>")) for w, n in report.weeks()],
    ))
    for digest in report.digests:
        parts.append(f"<h3>Digest {_e(digest.week)}</h3><pre>{_e(digest.text)}</pre>")
    if r.problem_count:
        parts.append(f"<h2>Problems ({r.problem_count:,}, skipped)</h2><ul>")
        parts += [f"<li><code>{_e(p.file)}</code>: {_e(p.reason)}</li>" for p in r.problems[:200]]
        parts.append("</ul>")
    tm = report.timings
    parts.append(
        f'<p class="muted">{tm.wall:.2f} s: parse {tm.parse:.2f} s, detect {tm.detect:.2f} s, '
        f"store {tm.store:.2f} s. Generated {_e(datetime.now().astimezone().isoformat(timespec='seconds'))}.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


RENDERERS = {"text": to_text, "json": to_json, "html": to_html}


def render(report: ReplayReport, fmt: str) -> str:
    return RENDERERS[fmt](report)


__all__ = ["Problem", "ReplayReport", "TypicalClaim", "render", "to_html", "to_json", "to_text"]
