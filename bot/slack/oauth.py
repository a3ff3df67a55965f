"""Many workspaces: Bolt's OAuth flow, slack_sdk's SQLAlchemy stores in Mirage's database, a token per workspace.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and no SLACK_BOT_TOKEN), `mirage run --http` serves the "Add to
Slack" page at INSTALL_PATH and Slack's redirect at OAUTH_REDIRECT_PATH (Bolt's OAuthFlow, a state per visit kept
in `slack_oauth_states` and bound to the browser by a cookie). Each install is kept in `slack_installations` and
`slack_bots` (slack_sdk's SQLAlchemyInstallationStore on the same engine; the tables come from migration 0005).

Every event is then handled with its own workspace's bot token and bot user: `InstalledTeams` reads them from the
installation store, keeps them per workspace for `cache_seconds` (so a busy workspace costs no lookup per event),
and forgets a workspace at once when this process saves or deletes its installation. Another process that cached
it stops using it within `cache_seconds`. Bolt's requests (commands, buttons, the Home tab) are authorized from
the same cache (`TeamsAuthorize`: no auth.test per request), the HTTP layer's direct intake and the inbox worker
look workspaces up there too. `app_uninstalled` and `tokens_revoked` (bot) delete the installation
(`Installations.remove`): nothing is posted to that workspace afterwards; its data is kept (bot.service.workspaces).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, desc, select

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.client import build_client
from bot.slack.paths import INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.slack.posting import Permalinks
from bot.slack.teams import BotIdentity, Team
from bot.store.oauth_tables import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE

log = logging.getLogger(__name__)

# The bot scopes Mirage asks for at install: exactly those of deploy/slack/manifest*.yaml (a test keeps them equal).
SCOPES = ("channels:history", "groups:history", "channels:read", "groups:read", "app_mentions:read", "chat:write",
          "reactions:write", "commands")
STATE_SECONDS = 600  # an "Add to Slack" link is good for ten minutes
CACHE_SECONDS = 60.0  # how long a workspace's token is used before the installation store is read again


class Installations(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store on Mirage's engine and tables, telling `InstalledTeams` when a
    workspace's installation changes; on SQLite its writes queue behind the bot's own writers (`serialise`)."""

    def __init__(self, client_id: str, engine: Engine, serialise: Callable[[], AbstractContextManager[Any]]) -> None:
        super().__init__(client_id=client_id, engine=engine, bots_table_name=BOTS_TABLE,
                         installations_table_name=INSTALLATIONS_TABLE, logger=logging.getLogger("mirage.oauth"))
        self._serialise = serialise
        self.changed: list[Callable[[str], None]] = []

    def _notify(self, team_id: str | None) -> None:
        for forget in self.changed:
            forget(team_id or "")

    def save(self, installation: Installation) -> None:
        with self._serialise():
            super().save(installation)
        log.info("installed in workspace %s (%s)", installation.team_id, str(installation.team_name or "")[:80])
        self._notify(installation.team_id)

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        with self._serialise():
            super().delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        self._notify(team_id)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self._serialise():
            super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._notify(team_id)

    def latest_bot(self, team_id: str) -> Bot | None:
        """The newest bot installation of a workspace (any enterprise: a Grid workspace's events carry its team id)."""
        c = self.bots.c
        query = (select(self.bots).where(c.client_id == self.client_id, c.team_id == team_id,
                                         c.bot_token.is_not(None))
                 .order_by(desc(c.installed_at)).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self.build_bot_entity(row)

    def installed_teams(self) -> list[str]:
        c = self.bots.c
        with self.engine.connect() as conn:
            found = conn.execute(select(c.team_id).where(c.client_id == self.client_id, c.bot_token.is_not(None),
                                                         c.team_id.is_not(None)).distinct())
            return sorted(str(team) for (team,) in found)

    def remove(self, team_id: str) -> None:
        """Everything stored for the workspace: its installations and bots (app_uninstalled, tokens revoked)."""
        with self._serialise(), self.engine.begin() as conn:  # one transaction for both tables
            for table in (self.installations, self.bots):
                conn.execute(table.delete().where(table.c.client_id == self.client_id, table.c.team_id == team_id))
        self._notify(team_id)


class WorkspaceLinks(Permalinks):
    """Permalinks for an installed workspace: its URL asked once per token (auth.test), when first needed."""

    def __init__(self, client: WebClient, urls: dict[str, str | None], lock: threading.Lock) -> None:
        super().__init__(None)
        self._client = client
        self._urls = urls
        self._lock = lock

    def base(self) -> str | None:
        token = self._client.token or ""
        with self._lock:
            if token in self._urls:
                return self._urls[token]
        try:
            url = str(self._client.auth_test().get("url") or "") or None
        except (SlackClientError, OSError) as exc:
            log.info("no workspace URL for permalinks: %s", getattr(exc, "response", {}).get("error", exc))
            return None
        with self._lock:
            self._urls[token] = url
        return url


@dataclass
class _Cached:
    team: Team
    at: float


class InstalledTeams:
    """Each workspace's client and bot identity, from the installation store, cached per workspace."""

    def __init__(self, installations: Installations, settings: Settings, cache_seconds: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, metrics: Metrics | None = None) -> None:
        self.installations = installations
        self.settings = settings
        self.metrics = metrics
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: dict[str, _Cached] = {}
        self._urls: dict[str, str | None] = {}
        self._lock = threading.Lock()
        installations.changed.append(self.forget)

    def team(self, workspace_id: str) -> Team | None:
        if not workspace_id:
            return None
        now = self.clock()
        with self._lock:
            cached = self._cache.get(workspace_id)
            if cached is not None and now - cached.at < self.cache_seconds:
                return cached.team
        bot = self.installations.latest_bot(workspace_id)
        if bot is None or not bot.bot_token:
            self.forget(workspace_id)  # not cached: an install in another process is seen at the next event
            return None
        client = build_client(self.settings, self.metrics, token=bot.bot_token)
        team = Team(client, BotIdentity(user_id=bot.bot_user_id, bot_id=bot.bot_id, team_id=workspace_id),
                    WorkspaceLinks(client, self._urls, self._lock))
        with self._lock:
            self._cache[workspace_id] = _Cached(team, now)
        return team

    def forget(self, workspace_id: str) -> None:
        with self._lock:
            self._cache.pop(workspace_id, None)

    def clients(self) -> Sequence[tuple[str, WebClient]]:
        found: list[tuple[str, WebClient]] = []
        for workspace_id in self.installations.installed_teams():
            team = self.team(workspace_id)
            if team is not None:
                found.append((workspace_id, team.client))
        return found


class TeamsAuthorize(Authorize):
    """Bolt's authorization for commands, buttons and the Home tab, answered from `InstalledTeams` (no auth.test
    per request). A workspace Mirage is not installed in gets Bolt's "please reinstall" answer and one log line."""

    def __init__(self, teams: InstalledTeams) -> None:
        self.teams = teams

    def __call__(self, *, context: BoltContext, enterprise_id: str | None, team_id: str | None,
                 user_id: str | None, **_: Any) -> AuthorizeResult | None:
        team = self.teams.team(team_id or "")
        if team is None:
            log.warning("request from workspace %s refused: Mirage is not installed there", str(team_id)[:64])
            return None
        identity = team.identity
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=team.client.token,
                               bot_id=identity.bot_id, bot_user_id=identity.user_id, user_id=user_id)


@dataclass(frozen=True)
class OAuth:
    """Everything the many-workspaces mode wires into Bolt, the HTTP layer and the worker."""

    settings: OAuthSettings
    installations: Installations
    teams: InstalledTeams
    authorize: TeamsAuthorize


def build_oauth(settings: Settings, engine: Engine, serialise: Callable[[], AbstractContextManager[Any]],
                metrics: Metrics | None = None) -> OAuth:
    """Bolt's OAuthSettings over slack_sdk's SQLAlchemy stores on `engine` (tables from migration 0005)."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise ValueError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    installations = Installations(settings.slack_client_id, engine, serialise)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine, table_name=STATES_TABLE,
                                       logger=logging.getLogger("mirage.oauth"))
    teams = InstalledTeams(installations, settings, metrics=metrics)
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        logger=logging.getLogger("mirage.oauth"),
    )
    return OAuth(settings=oauth_settings, installations=installations, teams=teams, authorize=TeamsAuthorize(teams))


