"""The Slack side of `mirage run`, put together for one workspace (SLACK_BOT_TOKEN) or many (OAuth).

`build_slack` returns the Bolt app, the `Teams` the worker and the digest resolve tokens from, and the HTTP layer's
direct intake. Single workspace: the one auth.test at start, exactly as before. Many workspaces: Bolt's OAuth flow
and slack_sdk's stores on the bot's engine (bot.slack.oauth); nothing is asked of Slack at start.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app, read_identity
from bot.slack.intake import direct_intake
from bot.slack.oauth import OAuth, build_oauth
from bot.slack.posting import digest_poster
from bot.slack.teams import OneWorkspace, Teams


@dataclass(frozen=True)
class Slack:
    app: App
    teams: Teams
    intake: Callable[[dict[str, Any]], bool]
    oauth: OAuth | None = None  # many workspaces

    @property
    def many(self) -> bool:
        return self.oauth is not None


def build_slack(settings: Settings, deps: Deps, client: WebClient, listener_executor: Executor | None = None) -> Slack:
    """Raises SlackApiError / BoltError / OSError when the single workspace's auth.test fails."""
    if settings.uses_oauth:
        oauth = build_oauth(settings, deps.engine, deps.writing, deps.metrics)
        app = build_app(settings, deps, client=client, oauth=oauth, listener_executor=listener_executor)
        return Slack(app, oauth.teams, direct_intake(deps, None, teams=oauth.teams), oauth)
    identity, authorization = read_identity(client)  # the one auth.test: bad token or Slack unreachable
    app = build_app(settings, deps, client=client, authorization=authorization, listener_executor=listener_executor)
    return Slack(app, OneWorkspace(client, identity), direct_intake(deps, identity.user_id))


def team_digest_poster(teams: Teams, deps: Deps) -> Callable[[str, str, list[dict[str, Any]], str], None]:
    """The digest poster, posting with each workspace's own client (none for a workspace Mirage left)."""

    def client_for(workspace_id: str) -> WebClient | None:
        team = teams.team(workspace_id)
        return None if team is None else team.client

    return digest_poster(client_for, deps)
