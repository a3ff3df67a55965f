"""A signed slash command or button click replayed inside Slack's 5-minute signature window runs once, not twice.

Bolt checks the signature and refuses timestamps older than 5 minutes; this middleware runs after that check and
remembers each command's and click's signature in the database (`request_nonces`), across processes. A second
request with the same signature is answered 200 with an empty body and reaches no listener. Events are left
alone: Slack retries them with new signatures, and their effect is made idempotent on the event id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.store.engine import session_scope
from bot.store.nonces import first_use

log = logging.getLogger(__name__)
GUARDED_TYPES = frozenset({"block_actions", "view_submission", "shortcut", "message_action"})


def guarded(body: dict[str, object]) -> str | None:
    """What kind of state-changing request `body` is ('/mirage', 'block_actions', ...), or None for the rest."""
    if isinstance(body.get("command"), str):
        return str(body["command"])
    kind = body.get("type")
    return str(kind) if kind in GUARDED_TYPES else None


class ReplayGuard(Middleware):
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.clock = clock

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        kind = guarded(req.body)
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        if req.mode == "socket_mode" or kind is None or not signature:
            return next()
        try:
            with session_scope(self.engine) as s:
                fresh = first_use(s, signature, self.clock())
        except SQLAlchemyError as exc:  # the database is down: the command itself will say so; do not block it
            log.warning("replay guard unavailable (%s); letting %s through", type(exc).__name__, kind)
            return next()
        if fresh:
            return next()
        log.warning("replayed %s request ignored (signature already used)", kind)
        return BoltResponse(status=200, body="")
