"""The settings of one `mirage` command: built once, in the app's callback, before the command runs.

A bad setting becomes one line naming the variable (`mirage: DIGEST_HOUR=99: input should be ...`), exit 2, for
every command, instead of a pydantic traceback."""

from __future__ import annotations

from contextvars import ContextVar

import typer
from pydantic import ValidationError

from bot.cli.loading import fail
from bot.settings import Settings, settings_problem


def load_settings() -> Settings:
    """Settings from the environment and `.env`; a validation error exits with one line."""
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"bad setting: {settings_problem(exc)}") from None


class CommandSettings:
    """The settings of the command being run: read from the environment on first use, then kept. Built lazily so
    that `mirage CMD --help` works whatever the environment says (click parses a command's --help only after the
    app's callback has run)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def get(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


_COMMAND: ContextVar[CommandSettings | None] = ContextVar("mirage_command_settings", default=None)


def settings_callback(ctx: typer.Context) -> None:
    """The app callback: one CommandSettings per `mirage` invocation, shared by everything the command calls,
    forgotten when the command ends."""
    holder = CommandSettings()
    ctx.obj = holder
    token = _COMMAND.set(holder)
    ctx.call_on_close(lambda: _COMMAND.reset(token))


def current_settings() -> Settings:
    """The settings of this command (built once per command; built now when called outside a `mirage` command)."""
    holder = _COMMAND.get()
    return holder.get() if holder is not None else load_settings()
