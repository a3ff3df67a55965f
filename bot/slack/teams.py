"""Who Mirage is, and with which token it talks, per workspace.

Single-workspace mode (SLACK_BOT_TOKEN) has one `Team` for every event: `OneWorkspace`, from the one auth.test at
start, exactly as before. Many workspaces (OAuth) resolve each workspace's token and bot user from the
installation store (bot.slack.oauth.InstalledTeams). Both answer `team(workspace_id)`; None means Mirage is not
installed there (never installed, uninstalled, or its token revoked): nothing is posted to that workspace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient

from bot.slack.posting import Permalinks


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who Mirage is in a workspace (single workspace: from the one auth.test at start; OAuth: the installation)."""

    user_id: str | None
    bot_id: str | None = None
    team_id: str | None = None
    url: str | None = None

    def mentioned_in(self, text: str) -> bool:
        return bool(self.user_id) and re.search(rf"<@{re.escape(self.user_id or '')}(\|[^>]*)?>", text) is not None


@dataclass(frozen=True, slots=True)
class Team:
    """One workspace as the worker sees it: the client carrying its token, the bot's identity there, permalinks."""

    client: WebClient
    identity: BotIdentity
    links: Permalinks


class Teams(Protocol):
    def team(self, workspace_id: str) -> Team | None:
        """The workspace's client and identity; None when Mirage is not installed there."""

    def forget(self, workspace_id: str) -> None:
        """Drop what is cached for the workspace (it was uninstalled, reinstalled or its token revoked)."""

    def clients(self) -> Sequence[tuple[str, WebClient]]:
        """(workspace id, client) for every workspace Mirage is installed in (the digest job's names refresh)."""


class OneWorkspace:
    """Single-workspace mode: the same client and identity whatever the event (SLACK_BOT_TOKEN, one auth.test)."""

    def __init__(self, client: WebClient, identity: BotIdentity) -> None:
        self._team = Team(client, identity, Permalinks(identity.url))

    def team(self, workspace_id: str) -> Team | None:
        return self._team

    def forget(self, workspace_id: str) -> None:
        return None

    def clients(self) -> Sequence[tuple[str, WebClient]]:
        return [(self._team.identity.team_id or "", self._team.client)]
