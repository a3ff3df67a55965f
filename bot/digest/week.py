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
