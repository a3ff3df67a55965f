"""A workspace that removed Mirage (app_uninstalled, or its bot token revoked): nothing more is done there.

Its events still waiting in the inbox are dropped at once (they hold message text and would never be answered).
Its data (incidents, counters, feedback, settings, names) is **kept** and ages out with everything else: the daily
retention job deletes what is older than RETENTION_DAYS, so RETENTION_DAYS after the removal nothing of it is left.
A reinstall within that time finds its history (digest trends, channel settings) where it was; `mirage purge`
removes a person's data on request at any time.
"""

from __future__ import annotations

import logging

from bot.service.deps import Deps
from bot.store import inbox

log = logging.getLogger(__name__)
REMOVED = "workspace removed Mirage; not processed"


def workspace_removed(deps: Deps, workspace_id: str, why: str) -> int:
    """Drop the workspace's pending inbox rows; how many were dropped. Its stored data is kept (see above)."""
    with deps.writing() as s:
        dropped = inbox.drop_workspace(s, workspace_id, REMOVED)
    log.info("workspace %s removed Mirage (%s): %d pending events dropped; its data is kept until RETENTION_DAYS "
             "(%d days) ages it out", workspace_id[:64], why, dropped, deps.settings.retention_days)
    return dropped
