"""`mirage db upgrade|status` and `mirage purge`: schema migrations and data deletion on DATABASE_URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem, masked
from bot.cli.loading import fail

db_app = typer.Typer(help="The database: schema migrations and status.", no_args_is_help=True)

DURATION = re.compile(r"^\s*(\d+)\s*([dhwm]?)\s*$", re.IGNORECASE)
UNITS = {"": "days", "d": "days", "h": "hours", "w": "weeks", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """'180d', '12h', '2w', '30m' (or a bare number of days) as a timedelta; ValueError otherwise."""
    found = DURATION.match(text)
    if not found:
        raise ValueError(f"not a duration: {text!r} (use a number with d, h, w or m, e.g. 180d)")
    amount, unit = int(found.group(1)), found.group(2).lower()
    return timedelta(**{UNITS[unit]: amount})


def _shown(url: str) -> str:
    return masked(url)


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    from bot.store.engine import make_engine

    try:
        engine = make_engine(url)
    except (ArgumentError, ValueError) as exc:
        raise fail(f"DATABASE_URL is not a database URL: {_shown(url)} ({exc})") from None
    try:
        yield engine
    except DBAPIError as exc:
        raise fail(database_problem(exc, url), code=1) from None
    finally:
        engine.dispose()


def _require_migrated(engine: Engine, url: str) -> None:
    from bot.store.engine import current_revision, head_revision

    current = current_revision(engine)
    if current != head_revision():
        raise fail(f"{_shown(url)} is at schema {current or '(empty)'}, not {head_revision()}: run `mirage db upgrade`")


def upgrade() -> None:
    """Create or upgrade the schema of DATABASE_URL to the newest migration."""
    from bot.store.engine import current_revision, head_revision, upgrade_database

    url = current_settings().database_url
    with _engine(url) as engine:
        before = current_revision(engine)
        upgrade_database(engine)
        after = current_revision(engine)
    if before == after:
        typer.echo(f"{_shown(url)}: already at schema {after} (head {head_revision()}); nothing to do.")
    else:
        typer.echo(f"{_shown(url)}: upgraded schema from {before or '(empty)'} to {after}.")


def status() -> None:
    """Show the schema version of DATABASE_URL next to the newest migration."""
    from bot.store.engine import current_revision, head_revision

    url = current_settings().database_url
    with _engine(url) as engine:
        current = current_revision(engine)
    head = head_revision()
    state = "up to date" if current == head else "needs `mirage db upgrade`"
    typer.echo(f"{_shown(url)}: schema {current or '(empty)'}, newest {head}: {state}.")


def purge(
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Delete data older than this, e.g. 180d, 12h, 2w.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Delete everything stored about this Slack user id.")
    ] = None,
    workspace: Annotated[str | None, typer.Option("--workspace", help="Limit --user to one workspace id.")] = None,
) -> None:
    """Delete stored data: everything older than a duration, and/or everything about one person."""
    if older_than is None and user is None:
        raise fail("purge needs --older-than DURATION (e.g. 180d) and/or --user USER_ID")
    cutoff: datetime | None = None
    if older_than is not None:
        try:
            cutoff = datetime.now(UTC) - parse_duration(older_than)
        except (ValueError, OverflowError) as exc:
            raise fail(f"--older-than: {exc}") from None
    if user is not None and not user.strip():
        raise fail("--user needs a user id, e.g. U123")

    from bot.store.engine import session_scope
    from bot.store.retention import purge_older_than, purge_user

    url = current_settings().database_url
    with _engine(url) as engine:
        _require_migrated(engine, url)
        with session_scope(engine) as s:
            if cutoff is not None:
                deleted = purge_older_than(s, cutoff)
                typer.echo(f"Deleted {deleted} rows older than {cutoff:%Y-%m-%d %H:%M} UTC.")
            if user is not None:
                deleted = purge_user(s, user.strip(), workspace)
                where = f" in workspace {workspace}" if workspace else ""
                typer.echo(f"Deleted {deleted} rows about user {user.strip()}{where}.")


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    db_app.command("upgrade")(upgrade)
    db_app.command("status")(status)
    app.add_typer(db_app, name="db")
    app.command("purge")(purge)
