"""`mirage run`: Socket Mode when SLACK_APP_TOKEN is set, HTTP with --http, console mode without Slack tokens."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.catalog import Catalog
from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem
from bot.cli.loading import catalog_or_exit, fail
from bot.detection import Detector
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


def _start_digest_scheduler(engine: Engine, catalog: Catalog, settings: Settings, deps: Deps) -> object | None:
    """Start the weekly digest and retention jobs, posting with the bot's client (Slack modes only)."""
    from slack_sdk.errors import SlackClientError

    from bot.digest.schedule import build_scheduler, post_due_digests, purge_expired
    from bot.slack.client import build_client
    from bot.slack.names import remember_names
    from bot.slack.posting import digest_poster

    client = build_client(settings)

    poster = digest_poster(client, deps)

    def digest_job() -> object:
        remember_names(client, engine)  # so the digest (and `mirage digest`) can name the channels
        return post_due_digests(engine, catalog, settings, poster, datetime.now(UTC))

    def retention_job() -> object:
        return purge_expired(engine, settings, datetime.now(UTC))

    try:
        scheduler = build_scheduler(settings, digest_job, retention_job)
        scheduler.start()
    except (ValueError, SlackClientError) as exc:
        log.error("digest scheduler not started: %s", exc)
        return None
    started: object = scheduler
    return started


def _why(exc: BaseException) -> str:
    """One line for a start-up failure: Slack's error code, or the network reason."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error") or exc)
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


def configure_logging(settings: Settings) -> None:
    """LOG_LEVEL for Mirage, on stderr. Alembic's per-start INFO lines ("Context impl SQLiteImpl", "Will assume
    transactional DDL", ...) are kept for LOG_LEVEL=DEBUG."""
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)


def run(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack's HTTP events (/slack/events, /healthz).")] = False,
    host: Annotated[str | None, typer.Option("--host", help="HTTP host (default HTTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port (default HTTP_PORT).")] = None,
    console: Annotated[bool, typer.Option("--console", help="Console mode even when Slack tokens are set.")] = False,
) -> None:
    """Run Mirage: Socket Mode with SLACK_APP_TOKEN, HTTP with --http, or a terminal chat without Slack tokens."""
    settings = current_settings()
    configure_logging(settings)
    use_console = console or not settings.has_slack_tokens
    if http and use_console:
        raise fail("--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    if http and not settings.slack_signing_secret:
        raise fail("--http needs SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
    if not use_console and not http and not settings.slack_app_token:
        raise fail("set SLACK_APP_TOKEN (xapp-...) for Socket Mode, or pass --http to serve HTTP events")

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

    from bot.slack.app import build_app

    try:
        app = build_app(settings, deps)
    except (SlackApiError, BoltError, OSError) as exc:  # auth.test at start: bad token or Slack unreachable
        raise fail(f"cannot start the Slack app against {settings.slack_api_url}: {_why(exc)}", code=1) from None
    _start_digest_scheduler(engine, catalog, settings, deps)
    if http:
        from bot.slack.http import serve

        bind_host, bind_port = host or settings.http_host, port or settings.http_port
        log.info("Mirage listening on http://%s:%s/slack/events", bind_host, bind_port)
        serve(app, bind_host, bind_port, engine)
        return

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("Mirage connecting in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("run")(run)
