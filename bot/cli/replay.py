"""`mirage replay PATH`: run a Slack export through the detector, backfill the store, and report what it found."""

from __future__ import annotations

import gc
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.catalog import Catalog
from bot.cli.context import current_settings
from bot.cli.dberrors import database_problem, masked
from bot.cli.loading import EXIT_BAD_INPUT, catalog_or_exit, fail, one_of
from bot.detection import Detector
from bot.replay.export import ExportError, SlackExport
from bot.replay.report import PastDigest, ReplayReport, render
from bot.replay.run import Progress, ReplayOptions, replay
from bot.replay.store import remember_names
from bot.week import IsoWeek

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_DATABASE = 1


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{option} takes a date like 2024-01-31, not {value!r}") from None


def _channels(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (value or "").split(",") if c.strip())


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[Progress], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing at all when piped."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("day files · {task.fields[messages]:,} messages · {task.fields[claims]:,} claims"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("replay", total=None, messages=0, claims=0)

        def tick(p: Progress) -> None:
            if p.day_files_done % 25 == 0 or p.day_files_done == p.day_files_total:
                bar.update(
                    task, total=p.day_files_total, completed=p.day_files_done, messages=p.messages, claims=p.claims
                )

        yield tick


def replay_command(
    path: Annotated[Path, typer.Argument(help="A Slack workspace export: the .zip or the unpacked folder.")],
    channels: Annotated[
        str | None, typer.Option("--channels", help="Only these conversations (names or ids, comma-separated).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="First day to replay (UTC), e.g. 2024-01-01.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day to replay (UTC), inclusive.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; store nothing.")] = False,
    report_name: Annotated[str, typer.Option("--report", help="Report format: text, json or html.")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE instead of stdout.")] = None,
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", help="Workspace id to store under (default: the export's team id, else the only "
                                         "Slack workspace already in the database, else 'replay')."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database to fill (default: DATABASE_URL).")
    ] = None,
    digests: Annotated[
        bool, typer.Option("--digests", help="Append the weekly digest of every week with claims (not with --dry-run).")
    ] = False,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules directory.")] = None,
) -> None:
    """Replay a Slack export: detect claims with thread context, store them (source 'replay'), report. Posts nothing."""
    report = one_of(ReportFormat, report_name, "--report")
    first, last = _date(since, "--since"), _date(until, "--until")
    if first and last and first > last:
        raise fail(f"--since {first} is after --until {last}")
    if digests and dry_run:
        raise fail("--digests renders from the database, so it cannot go with --dry-run")
    settings = current_settings()
    try:
        export = SlackExport.open(path)
    except ExportError as exc:
        raise fail(str(exc)) from None
    with export:
        options = ReplayOptions(_channels(channels), first, last, dry_run, workspace)
        if options.channels and not export.select(options.filters):
            known = ", ".join(c.name for c in export.conversations()[:20]) or "none"
            raise fail(f"none of {', '.join(options.channels)} is in this export (it has: {known})")
        catalog = catalog_or_exit(rules or settings.rules_dir)
        detector = Detector.from_catalog(catalog)
        engine = None if dry_run else _engine(database_url or settings.database_url)
        if workspace is None and export.team_id() is None and engine is not None:
            options = replace(options, workspace_id=_only_live_workspace(engine))
        gc.freeze()  # the catalog and spaCy pipeline live all run long: keep the collector from rescanning them
        with _progress_bar(sys.stderr.isatty()) as tick:
            try:
                result = replay(export, detector, catalog, engine, options, tick)
                if engine is not None:
                    remember_names(engine, result.workspace_id, export.team_name(), result.channel_names)
                if engine is not None and digests:
                    result.digests = _past_digests(engine, catalog, result)
            except _database_errors() as exc:
                raise fail(database_problem(exc, database_url or settings.database_url, "write to"),
                           EXIT_DATABASE) from None
            finally:
                gc.unfreeze()
                if engine is not None:
                    engine.dispose()
    if database_url is not None:
        result.digest_env = f"DATABASE_URL={shlex.quote(database_url)} "
    text = render(result, report.value)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    if sys.stderr.isatty():
        print(f"mirage: report written to {out}", file=sys.stderr)


def _past_digests(engine: Engine, catalog: Catalog, result: ReplayReport) -> list[PastDigest]:
    from bot.replay.digests import past_digests

    weeks = [IsoWeek.parse(week) for week, _ in result.weeks()]
    return past_digests(engine, catalog, result.workspace_id, weeks, result.channel_names)


def _only_live_workspace(engine: Engine) -> str | None:
    """The one Slack workspace the store already knows (console and earlier id-less replays aside), if exactly one."""
    from bot.console.chat import WORKSPACE as CONSOLE
    from bot.replay.run import DEFAULT_WORKSPACE
    from bot.store.engine import session_scope
    from bot.store.workspaces import workspaces

    with session_scope(engine) as s:
        live = [ws for ws in workspaces(s) if ws not in (CONSOLE, DEFAULT_WORKSPACE)]
    return live[0] if len(live) == 1 else None


def _database_errors() -> type[Exception]:
    from sqlalchemy.exc import SQLAlchemyError

    return SQLAlchemyError


def _engine(url: str) -> Engine:
    from bot.store import make_engine, upgrade_database

    try:
        engine = make_engine(url)
        upgrade_database(engine)
    except _database_errors() as exc:
        raise fail(database_problem(exc, url, "open the database"), EXIT_DATABASE) from None
    except ValueError as exc:  # a malformed URL
        raise fail(f"bad database URL {masked(url)}: {exc}", EXIT_BAD_INPUT) from None
    return engine


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
    app.command("replay")(replay_command)
