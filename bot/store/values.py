"""What the store's writers share: a clear error for a value outside its allowed set, and the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime


def check_one_of(value: str, allowed: Sequence[str], what: str) -> None:
    """A ValueError naming `what` and its allowed values unless `value` is one of them."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def utc_now() -> datetime:
    return datetime.now(UTC)
