"""`mirage run [--role web|worker|scheduler|all]`: Socket Mode when SLACK_APP_TOKEN is set, HTTP with --http,
console mode without Slack tokens. The parts each role starts live in bot.runtime (one module per part)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem
from bot.cli.loading import catalog_or_exit, fail
from bot.detection import Detector
from bot.logs import configure_logging
from bot.runtime.roles import ROLES, Role, role_problem, serve
from bot.service.deps import Deps
from bot.settings import Settings

log = logging.getLogger("mirage")


def _store(settings: Settings) -> Engine:
    from bot.store.engine import make_engine, upgrade_database

    try:
        engine = make_engine(settings.database_url)
        upgrade_database(engine)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail(database_problem(exc, settings.database_url, "open the database"), code=1) from None
    return engine


def _why(exc: BaseException) -> str:
    """One line for a start-up failure: Slack's error code, or the network reason."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error") or exc)
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


def _check(settings: Settings, role: str, http: bool, console: bool) -> bool:
    """The one-line failures before anything starts; True for console mode."""
    use_console = console or not (settings.has_slack_tokens or settings.uses_oauth)
    problem = role_problem(role, settings, http, use_console)
    if problem:
        raise fail(problem)
    if http and use_console:
        raise fail("--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    if http and not settings.slack_signing_secret:
        raise fail("--http needs SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
    if not use_console and not http and role in ("web", "all") and settings.uses_oauth:
        raise fail("many workspaces (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN) run over HTTP only: "
                   "pass --http (Socket Mode is for a single workspace)")
    if not use_console and not http and role in ("web", "all") and not settings.slack_app_token:
        raise fail("set SLACK_APP_TOKEN (xapp-...) for Socket Mode, or pass --http to serve HTTP events")
    return use_console


def run(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack's HTTP events (/slack/events, /healthz).")] = False,
    host: Annotated[str | None, typer.Option("--host", help="HTTP host (default HTTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port (default HTTP_PORT).")] = None,
    console: Annotated[bool, typer.Option("--console", help="Console mode even when Slack tokens are set.")] = False,
    role: Annotated[str, typer.Option("--role", help=f"What this process runs: {'|'.join(ROLES)} (PostgreSQL "
                                      "for all but 'all').")] = "all",
) -> None:
    """Run Mirage: Socket Mode with SLACK_APP_TOKEN, HTTP with --http, or a terminal chat without Slack tokens."""
    settings = current_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    use_console = _check(settings, role, http, console)
    if use_console:
        logging.getLogger().setLevel(logging.WARNING)
    catalog = catalog_or_exit(settings.rules_dir)
    engine = _store(settings)
    deps = Deps(engine=engine, detector=Detector.from_catalog(catalog), catalog=catalog, settings=settings)

    if use_console:
        from bot.console.chat import Console

        Console(deps, sys.stdout).run(sys.stdin, banner=sys.stdin.isatty())
        return

    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.slack.client import build_client
    from bot.slack.serving import build_slack

    chosen: Role = role  # type: ignore[assignment]  # checked by role_problem
    try:
        # one workspace: the one auth.test at start; many (OAuth): nothing asked of Slack yet
        slack = build_slack(settings, deps, build_client(settings, deps.metrics))
    except (SlackApiError, BoltError, OSError) as exc:
        raise fail(f"cannot start the Slack app against {settings.slack_api_url}: {_why(exc)}", code=1) from None
    serve(chosen, deps, slack, http=http, host=host or settings.http_host, port=port or settings.http_port)


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("run")(run)
