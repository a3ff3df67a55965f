"""Readiness: may this process be sent work? The database takes a write and the inbox is not over its limit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.service.deps import Deps
from bot.store import inbox
from bot.store.engine import session_scope


@dataclass(frozen=True, slots=True)
class Readiness:
    """The result of the readiness checks: `problems` names each check that failed (empty: ready)."""

    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return "ready" if self.ready else "; ".join(self.problems)


def readiness(deps: Deps) -> Readiness:
    """Two checks, in order: the database takes a write (a no-op UPDATE, rolled back), then the inbox has at most
    INBOX_READY_LIMIT pending rows (counted up to the limit + 1, so the check stays cheap under any backlog)."""
    if not deps.writable():
        return Readiness(("database: does not take writes",))
    limit = deps.settings.inbox_ready_limit
    try:
        with session_scope(deps.engine) as s:
            pending = inbox.pending_count(s, limit + 1)
    except SQLAlchemyError as exc:
        return Readiness((f"database: cannot count the inbox ({type(exc).__name__})",))
    if pending > limit:
        return Readiness((f"inbox: more than {limit} pending rows (INBOX_READY_LIMIT)",))
    return Readiness()
