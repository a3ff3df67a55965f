"""Entry point of the `mirage` command: one Typer app, each command group wired explicitly.

The command modules are imported when the app is built, not when this module is: `mirage scan` (the command run
over whole exports, where start-up counts) builds an app holding only the core commands, so it does not import
the database, Slack and digest layers it never uses.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

LIGHT_COMMANDS = frozenset({"scan", "check"})  # core commands whose start-up is worth keeping short


def build_app(core_only: bool = False) -> typer.Typer:
    """The `mirage` app; with `core_only`, only the commands of bot.cli.core (check, scan, eval, rules)."""
    from bot.cli import core
    from bot.cli.context import settings_callback

    app = typer.Typer(
        name="mirage",
        help="Mirage asks for user evidence when a team leans on benchmark scores alone.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: flags show as `--http`, not `--http <bool>` (which reads as `--http true`)
        callback=settings_callback,
    )
    # Each module owns its commands and wires them here with register(app).
    core.register(app)
    if core_only:
        return app
    from bot.cli import bench, db, digest, replay, run, train

    run.register(app)
    db.register(app)
    digest.register(app)
    replay.register(app)
    bench.register(app)
    train.register(app)
    return app


def __getattr__(name: str) -> Any:
    """`from bot.cli.main import app`: the full app, built on first use."""
    if name == "app":
        app = globals()["app"] = build_app()
        return app
    raise AttributeError(name)


def main() -> None:
    build_app(core_only=len(sys.argv) > 1 and sys.argv[1] in LIGHT_COMMANDS)()
