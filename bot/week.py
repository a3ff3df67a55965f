"""ISO weeks ("2026-W47"): parsing, bounds and arithmetic. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

WEEK_FORMAT = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """One ISO 8601 week. `str(week)` is "2026-W47"; weeks start on Monday 00:00 UTC."""

    year: int
    week: int

    def __post_init__(self) -> None:
        last = date(self.year, 12, 28).isocalendar().week
        if not 1 <= self.week <= last:
            raise ValueError(f"{self.year} has ISO weeks 1 to {last}, not {self.week}")

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse "2026-W47" (or "2026W47"); a clear ValueError for anything else."""
        found = WEEK_FORMAT.match(text.strip())
        if not found:
            raise ValueError(f"not an ISO week: {text!r} (expected the form 2026-W47)")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: date | datetime) -> IsoWeek:
        day = moment.astimezone(UTC).date() if isinstance(moment, datetime) and moment.tzinfo else moment
        iso = (day.date() if isinstance(day, datetime) else day).isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def start(self) -> datetime:
        """Monday 00:00 UTC, inclusive."""
        return datetime.combine(self.monday, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 UTC, exclusive."""
        return self.start + timedelta(days=7)

    def days(self) -> tuple[date, ...]:
        return tuple(self.monday + timedelta(days=i) for i in range(7))

    def shift(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def previous(self) -> IsoWeek:
        return self.shift(-1)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


WEEK_RULE = "the last complete week (Monday to Sunday, UTC), the one the Monday post covers"


def default_week(now: datetime) -> IsoWeek:
    """The week a digest shows when none is asked for, in the CLI and in Slack alike: the last complete week."""
    return IsoWeek.of(now).previous()


def choose_week(text: str | None, now: datetime) -> IsoWeek:
    """The week a user asked for: nothing or "last" (the last complete week), "this" (the week so far), or an
    ISO week such as 2026-W47; a clear ValueError otherwise."""
    word = (text or "").strip().lower()
    if word in ("", "last"):
        return default_week(now)
    if word in ("this", "current", "now"):
        return IsoWeek.of(now)
    return IsoWeek.parse(word)


def span(week: IsoWeek) -> str:
    """"Nov 16 – 22, 2026"; "Dec 28, 2026 – Jan 3, 2027" when the week crosses a year, with each month named."""
    first, last = week.monday, week.monday + timedelta(days=6)
    if first.year != last.year:
        return f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"
    if first.month != last.month:
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
    return f"{first:%b} {first.day} – {last.day}, {last.year}"
