"""`mirage run`: Socket Mode when SLACK_APP_TOKEN is set, HTTP with --http, console mode without Slack tokens."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.catalog import Catalog
from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem
from bot.cli.loading import catalog_or_exit, fail
from bot.detection import Detector
from bot.logs import configure_logging
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.slack.teams import Teams

log = logging.getLogger("mirage")


def _store(settings: Settings) -> Engine:
    from bot.store.engine import make_engine, upgrade_database

    try:
        engine = make_engine(settings.database_url)
        upgrade_database(engine)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail(database_problem(exc, settings.database_url, "open the database"), code=1) from None
    return engine


def _start_digest_scheduler(engine: Engine, catalog: Catalog, settings: Settings, deps: Deps,
                            teams: Teams) -> object | None:
    """Start the weekly digest and retention jobs, posting with each workspace's client (Slack modes only)."""
    from slack_sdk.errors import SlackClientError

    from bot.jobs.digest import post_due_digests
    from bot.jobs.retention import purge_expired
    from bot.jobs.scheduler import build_scheduler
    from bot.slack.names import remember_names
    from bot.slack.serving import team_digest_poster

    poster = team_digest_poster(teams, deps)

    def digest_job() -> object:
        for _, client in teams.clients():
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


def run(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack's HTTP events (/slack/events, /healthz).")] = False,
    host: Annotated[str | None, typer.Option("--host", help="HTTP host (default HTTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port (default HTTP_PORT).")] = None,
    console: Annotated[bool, typer.Option("--console", help="Console mode even when Slack tokens are set.")] = False,
) -> None:
    """Run Mirage: Socket Mode with SLACK_APP_TOKEN, HTTP with --http, or a terminal chat without Slack tokens."""
    settings = current_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    use_console = console or not (settings.has_slack_tokens or settings.uses_oauth)
    if http and use_console:
        raise fail("--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    if http and not settings.slack_signing_secret:
        raise fail("--http needs SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
    if not use_console and not http and settings.uses_oauth:
        raise fail("many workspaces (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN) run over HTTP only: "
                   "pass --http (Socket Mode is for a single workspace)")
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

    from bot.slack.client import build_client
    from bot.slack.serving import build_slack

    try:
        # one workspace: the one auth.test at start; many (OAuth): nothing asked of Slack yet
        slack = build_slack(settings, deps, build_client(settings, deps.metrics))
        app = slack.app
    except (SlackApiError, BoltError, OSError) as exc:
        raise fail(f"cannot start the Slack app against {settings.slack_api_url}: {_why(exc)}", code=1) from None
    worker = _start_worker(deps, slack.teams, settings)
    scheduler = _start_digest_scheduler(engine, catalog, settings, deps, slack.teams)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if http:
            from bot.slack.http import create
            from bot.slack.paths import INSTALL_PATH

            bind_host, bind_port = host or settings.http_host, port or settings.http_port
            server = create(app, bind_host, bind_port, settings.slack_signing_secret, deps.writable,
                            intake=slack.intake, install=slack.many, metrics=deps.metrics)
            log.info("Mirage listening on http://%s:%s/slack/events%s", bind_host, server.effective_port,
                     f" (many workspaces: install at {INSTALL_PATH})" if slack.many else "")
            server.run()  # returns on SIGTERM (waitress stops taking requests and lets the ones in flight finish)
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("Mirage connecting in Socket Mode")
            SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        log.info("Mirage stopping: no new events; finishing the ones in hand")
        if scheduler is not None:
            scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
        finished = worker.stop(settings.shutdown_grace_seconds)
        log.info("Mirage stopped (%s)", "all work finished" if finished else "unfinished rows stay in the inbox")


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _start_worker(deps: Deps, teams: Teams, settings: Settings) -> InboxWorker:
    """The inbox worker threads (each row with its workspace's token); rows a previous run left unfinished first."""
    from bot.slack.processing import EventProcessor

    processor = EventProcessor.for_teams(teams, deps)
    worker = InboxWorker(deps, processor, threads=settings.inbox_workers,
                         lease=timedelta(seconds=settings.inbox_lease_seconds))
    worker.start()
    return worker


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("run")(run)
