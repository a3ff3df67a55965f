"""`mirage digest`: show (or post) one workspace's weekly digest from the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session

from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem, masked
from bot.cli.loading import catalog_or_exit, fail, one_of
from bot.digest.build import Digest, build_digest
from bot.digest.hints import digest_failure_hint
from bot.digest.render import newest_data_hint, summary, to_json, to_text
from bot.settings import Settings
from bot.slack.blocks import digest_blocks
from bot.store import load_digest_input, make_engine, session_scope
from bot.store.digest_queries import active_workspaces, latest_activity
from bot.store.digest_runs import claim_digest_run, finish_digest_run
from bot.store.names import workspace_label, workspace_names
from bot.store.workspaces import workspaces
from bot.week import WEEK_RULE, IsoWeek, choose_week

EXIT_NOTHING = 1


class Format(StrEnum):
    text = "text"
    json = "json"
    blocks = "blocks"


def _week(text: str | None, now: datetime) -> IsoWeek:
    try:
        return choose_week(text, now)
    except ValueError as exc:
        raise fail(f"--week: {exc}; or `last` (the default) or `this`") from None


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


def _labels(s: Session, known: list[str]) -> str:
    """Each workspace by name and id, with the week of its newest data: `Acme (T0123, newest 2025-W10)`."""
    names = workspace_names(s)
    shown = []
    for ws in known:
        newest = latest_activity(s, ws)
        label = workspace_label(ws, names)
        where = f"newest {IsoWeek.of(newest)}" if newest is not None else "no data"
        shown.append(f"{label[:-1]}, {where})" if label.endswith(")") else f"{label} ({where})")
    return ", ".join(shown)


def _pick_workspace(s: Session, wanted: str | None, week: IsoWeek) -> str:
    """--workspace by id or name; else the only workspace, or the only one with data in `week`."""
    known = workspaces(s)
    if wanted is not None:
        names = workspace_names(s)
        for ws in known:
            if wanted.strip().lower() in (ws.lower(), names.get(ws, "").lower()):
                return ws
        raise fail(f"no workspace {wanted} in this database; it has: {_labels(s, known) or 'none'}")
    if len(known) == 1:
        return known[0]
    if not known:
        raise fail("the database has no data yet, so there is no digest to show", EXIT_NOTHING)
    active = active_workspaces(s, week)
    if len(active) == 1:
        others = [ws for ws in known if ws != active[0]]
        typer.echo(f"mirage: {workspace_label(active[0], workspace_names(s))} is the only workspace with data in "
                   f"{week} (also here: {', '.join(others)}; pick one with --workspace)", err=True)
        return active[0]
    raise fail(f"several workspaces {'have data in ' + str(week) if active else 'in the database'}, "
               f"choose one with --workspace: {_labels(s, active or known)}")


@dataclass(frozen=True, slots=True)
class Loaded:
    digest: Digest
    newest: date | None  # the workspace's newest day with data
    several: bool  # the database holds more than one workspace


def _load(
    settings: Settings, workspace: str | None, week: IsoWeek, rules: Path | None, channel: str | None = None
) -> Loaded:
    """The digest; with `channel` (the --post target), examples come from that channel only."""
    catalog = catalog_or_exit(rules if rules is not None else settings.rules_dir)
    engine = _engine(settings.database_url)
    try:
        with session_scope(engine) as s:
            chosen = _pick_workspace(s, workspace, week)
            data = load_digest_input(s, chosen, week, examples_from=channel)
            newest = latest_activity(s, chosen)
            several = len(workspaces(s)) > 1
    except SQLAlchemyError as exc:
        raise fail(database_problem(exc, settings.database_url, "read the database"), EXIT_NOTHING) from None
    finally:
        engine.dispose()
    return Loaded(build_digest(data, catalog, posted_in=channel), newest, several)


def _post(settings: Settings, channel: str, digest: Digest) -> None:
    """Post under the same claim the scheduler uses, so a channel-week is posted once however it is asked for."""
    if not settings.slack_bot_token:
        raise fail("--post needs a bot token: set SLACK_BOT_TOKEN")
    engine = _engine(settings.database_url)
    ws, week = digest.workspace_id, digest.week
    try:
        with session_scope(engine) as s:
            claimed = claim_digest_run(s, ws, channel, week)
        if not claimed:
            raise fail(f"the {week} digest of {ws} was already posted to {channel} (or is being posted); "
                       "nothing sent", EXIT_NOTHING)
        client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        try:
            response = client.chat_postMessage(channel=channel, blocks=digest_blocks(digest), text=summary(digest))
        except SlackApiError as exc:
            error = str(exc.response.get("error", exc))
            _finish(engine, ws, channel, week, f"SlackApiError: {error}")
            hint = digest_failure_hint(channel, error)
            raise fail(f"Slack refused the post to {channel}: {error}" + (f"; {hint}" if hint else ""),
                       EXIT_NOTHING) from None
        except (SlackClientError, OSError) as exc:
            _finish(engine, ws, channel, week, f"{type(exc).__name__}")
            raise fail(f"could not reach Slack at {settings.slack_api_url}: {exc}", EXIT_NOTHING) from None
        _finish(engine, ws, channel, week, None)
    finally:
        engine.dispose()
    typer.echo(f"Posted the {week} digest of {ws} to {channel} (ts {response.get('ts')}).")


def _finish(engine: Engine, ws: str, channel: str, week: IsoWeek, error: str | None) -> None:
    with session_scope(engine) as s:
        finish_digest_run(s, ws, channel, week, posted=error is None, error=error)


def digest(
    week: Annotated[
        str | None,
        typer.Option("--week", help=f"An ISO week such as 2026-W47, `last` or `this` (default: {WEEK_RULE}; "
                                    "`/mirage digest` in Slack follows the same rule)."),
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", help="Workspace id (T…) or name (default: the only one in the database, or the "
                                         "only one with data in that week)."),
    ] = None,
    format_name: Annotated[
        str, typer.Option("--format", help="text, json, or blocks (the Slack Block Kit JSON that would be posted).")
    ] = "text",
    post: Annotated[
        str | None, typer.Option("--post", help="Post the digest to this channel id with SLACK_BOT_TOKEN.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules directory (default: MIRAGE_RULES_DIR or the shipped rules).")
    ] = None,
) -> None:
    """Show one workspace's weekly digest from DATABASE_URL, or post it to a channel with --post."""
    fmt = one_of(Format, format_name, "--format")
    chosen_week = _week(week, datetime.now(UTC))
    settings = current_settings()
    loaded = _load(settings, workspace, chosen_week, rules, channel=post)
    built = loaded.digest
    if week is None and fmt is Format.text and post is None:
        typer.echo(f"mirage: {chosen_week} is {WEEK_RULE} (the default; `--week this` for the week so far)",
                   err=True)
    if built.quiet and week is None:
        pick = f" --workspace {built.workspace_id}" if loaded.several else ""
        hint = newest_data_hint(chosen_week, loaded.newest, f"`mirage digest --week {{week}}{pick}`")
        if hint is not None:
            typer.echo(f"mirage: {hint}", err=True)
    if post is not None:
        _post(settings, post, built)
        return
    if fmt is Format.json:
        typer.echo(to_json(built))
    elif fmt is Format.blocks:
        typer.echo(json.dumps(digest_blocks(built), ensure_ascii=False, indent=2))
    else:
        typer.echo(to_text(built), nl=False)


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("digest")(digest)
