"""`app_uninstalled` and `tokens_revoked` (many workspaces): the workspace's installation is deleted and nothing
more is posted there; its pending events are dropped, its data kept (bot.service.workspaces).

A `tokens_revoked` naming only user tokens removes those users' installations (Mirage asks for no user scopes, so
there are normally none); one naming the bot token removes the workspace, as an uninstall does (a bot-only app
without its bot token has nothing left to act with). Both run before the ack (one or two DELETEs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.service.deps import Deps
from bot.service.workspaces import workspace_removed
from bot.slack.events import workspace_of

RemoveWorkspace = Callable[[str], None]  # delete every installation of a workspace (bot.slack.oauth.Installations)
RemoveUser = Callable[[str, str], None]  # (workspace, user): delete that user's installation


def register(app: App, deps: Deps, remove_workspace: RemoveWorkspace, remove_user: RemoveUser) -> None:
    def removed(workspace: str, why: str) -> None:
        remove_workspace(workspace)
        workspace_removed(deps, workspace, why)

    @app.event("app_uninstalled")
    def on_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        removed(context.team_id or workspace_of(body), "app_uninstalled")

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        workspace = context.team_id or workspace_of(body)
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            removed(workspace, "bot token revoked")
            return
        for user in tokens.get("oauth") or ():
            remove_user(workspace, str(user))
