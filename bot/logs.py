"""Logging that never holds message text or secrets: one formatter for every handler Mirage installs.

Message text can reach a log line three ways, and each is closed where it starts: Bolt's bad-signature line logs
the request body (Mirage installs a quiet verifier, bot.slack.app), SQL errors carry their bound parameters
(engines are created with hide_parameters=True, bot.store.engine), and DEBUG logging of Bolt and slack_sdk dumps
payloads (those loggers never go below INFO). This formatter is the last line: it masks the password of any
URL (`postgresql://user:***@host`), drops any SQL parameter dump that still gets through, and cuts every
record, traceback included, to MAX_RECORD characters, so no body of any size is ever written out whole.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

MAX_RECORD = 4_000
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)(?P<password>[^\s@/'\"]+)(?=@)",
                          re.IGNORECASE)
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.DOTALL)
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", "mirage.slack", "waitress")  # INFO at the lowest
SILENT_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool")  # WARNING at the lowest: their INFO is every statement
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def mask_urls(text: str) -> str:
    """Every `scheme://user:password@host` in `text` with the password replaced by `***`."""
    return URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)


def redact(text: str, limit: int = MAX_RECORD) -> str:
    """`text` with URL passwords masked, SQL parameter dumps removed, and at most `limit` characters."""
    text = SQL_PARAMETERS.sub("[parameters hidden]", mask_urls(text))
    if len(text) > limit:
        text = f"{text[:limit]}… [{len(text) - limit} more characters not logged]"
    return text


class RedactingFormatter(logging.Formatter):
    """A Formatter whose output (message, arguments and traceback) has gone through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO", stream: TextIO | None = None, force: bool = False) -> None:
    """Root logging at `level` through one redacting handler on `stream` (stderr); Bolt, slack_sdk and waitress
    stay at INFO or above whatever `level` says (their DEBUG lines carry payloads), SQLAlchemy at WARNING.

    Like logging.basicConfig, a root logger that already has handlers is left alone unless `force`."""
    root = logging.getLogger()
    if force:
        for old in list(root.handlers):
            root.removeHandler(old)
    if not root.handlers:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(RedactingFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(level.upper())
    for names, lowest in ((QUIET_LOGGERS, logging.INFO), (SILENT_LOGGERS, logging.WARNING)):
        for name in names:
            logging.getLogger(name).setLevel(max(lowest, root.level))
    # Alembic's per-start INFO lines ("Context impl SQLiteImpl", "Will assume transactional DDL") only at DEBUG
    logging.getLogger("alembic").setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
