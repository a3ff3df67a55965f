"""`mirage digest`: show (or post) one workspace's weekly digest from the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem, masked
from bot.cli.loading import catalog_or_exit, fail
from bot.digest.build import Digest, build_digest
from bot.digest.render import summary, to_blocks, to_json, to_text
from bot.digest.week import IsoWeek
from bot.settings import Settings
from bot.store import load_digest_input, make_engine, session_scope
from bot.store.queries import workspaces

EXIT_NOTHING = 1


class Format(StrEnum):
    text = "text"
    json = "json"
    blocks = "blocks"


def _week(text: str | None, now: datetime) -> IsoWeek:
    if text is None:
        return IsoWeek.of(now).previous()
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise fail(f"--week: {exc}") from None


def _engine(url: str) -> Engine:
    """An engine for DATABASE_URL; a SQLite file that does not exist yet is an error, not a new empty database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise fail(f"DATABASE_URL is not a database URL: {masked(url)}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.exists():
            raise fail(f"no database at {path} yet (DATABASE_URL); Mirage has recorded nothing to digest", EXIT_NOTHING)
    try:
        return make_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise fail(database_problem(exc, url, "open the database"), EXIT_NOTHING) from None


def _pick_workspace(known: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in known:
            typer.echo(f"mirage: workspace {wanted} has no data in this database; its digest is a quiet one.", err=True)
        return wanted
    if len(known) == 1:
        return known[0]
    if not known:
        raise fail("the database has no data yet, so there is no digest to show", EXIT_NOTHING)
    raise fail(f"several workspaces in the database, choose one with --workspace: {', '.join(known)}")


def _load(settings: Settings, workspace: str | None, week: IsoWeek, rules: Path | None) -> Digest:
    catalog = catalog_or_exit(rules if rules is not None else settings.rules_dir)
    engine = _engine(settings.database_url)
    try:
        with session_scope(engine) as s:
            chosen = _pick_workspace(workspaces(s), workspace)
            data = load_digest_input(s, chosen, week)
    except SQLAlchemyError as exc:
        raise fail(database_problem(exc, settings.database_url, "read the database"), EXIT_NOTHING) from None
    finally:
        engine.dispose()
    return build_digest(data, catalog)


def _post(settings: Settings, channel: str, digest: Digest) -> None:
    if not settings.slack_bot_token:
        raise fail("--post needs a bot token: set SLACK_BOT_TOKEN")
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    try:
        response = client.chat_postMessage(channel=channel, blocks=to_blocks(digest), text=summary(digest))
    except SlackApiError as exc:
        raise fail(f"Slack refused the post to {channel}: {exc.response.get('error', exc)}", EXIT_NOTHING) from None
    except (SlackClientError, OSError) as exc:
        raise fail(f"could not reach Slack at {settings.slack_api_url}: {exc}", EXIT_NOTHING) from None
    typer.echo(f"Posted the {digest.week} digest of {digest.workspace_id} to {channel} (ts {response.get('ts')}).")


def digest(
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week such as 2026-W47 (default: the last complete week).")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Workspace id, T… (default: the only one in the database).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json, or Slack blocks (JSON).")] = Format.text,
    post: Annotated[
        str | None, typer.Option("--post", help="Post the digest to this channel id with SLACK_BOT_TOKEN.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules directory (default: MIRAGE_RULES_DIR or the shipped rules).")
    ] = None,
) -> None:
    """Show one workspace's weekly digest from DATABASE_URL, or post it to a channel with --post."""
    chosen_week = _week(week, datetime.now(UTC))
    settings = current_settings()
    built = _load(settings, workspace, chosen_week, rules)
    if post is not None:
        _post(settings, post, built)
        return
    if fmt is Format.json:
        typer.echo(to_json(built))
    elif fmt is Format.blocks:
        typer.echo(json.dumps(to_blocks(built), ensure_ascii=False, indent=2))
    else:
        typer.echo(to_text(built), nl=False)


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("digest")(digest)
