"""The one week rule (CLI and Slack) and how a week's dates are written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.week import IsoWeek, choose_week, default_week, span

WEDNESDAY = datetime(2026, 11, 18, 12, tzinfo=UTC)  # in 2026-W47


@pytest.mark.parametrize(("week", "shown"), [
    ("2026-W01", "Dec 29, 2025 – Jan 4, 2026"),
    ("2026-W47", "Nov 16 – 22, 2026"),
    ("2026-W05", "Jan 26 – Feb 1, 2026"),
])
def test_span_names_each_month_and_year_it_needs(week: str, shown: str) -> None:
    """A week crossing a year names both years (not "Dec 29 - Jan 4, 2026"); one within a month names it once."""
    assert span(IsoWeek.parse(week)) == shown


def test_one_rule_for_the_default_week() -> None:
    """No week, or "last": the last complete week; "this": the week so far; an ISO week as given."""
    assert default_week(WEDNESDAY) == IsoWeek(2026, 46)
    assert choose_week(None, WEDNESDAY) == choose_week("last", WEDNESDAY) == IsoWeek(2026, 46)
    assert choose_week("this", WEDNESDAY) == IsoWeek(2026, 47)
    assert choose_week("2024-w10", WEDNESDAY) == IsoWeek(2024, 10)
    with pytest.raises(ValueError, match="not an ISO week"):
        choose_week("next", WEDNESDAY)
