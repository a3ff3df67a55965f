"""Entry point of the `mirage` command: one Typer app, each command group wired explicitly."""

from __future__ import annotations

import typer

from bot.cli import bench, core, db, digest, replay, run, train
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
run.register(app)
db.register(app)
digest.register(app)
replay.register(app)
bench.register(app)
train.register(app)


def main() -> None:
    app()
