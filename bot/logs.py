"""Logging that never holds message text or secrets: one formatter for every handler Mirage installs.

Message text can reach a log line three ways, and each is closed where it starts: Bolt's bad-signature line logs
the request body (Mirage installs a quiet verifier, bot.slack.app), SQL errors carry their bound parameters
(engines are created with hide_parameters=True, bot.store.engine), and DEBUG logging of Bolt and slack_sdk dumps
payloads (those loggers never go below INFO). This formatter is the last line: it masks the password of any
URL (`postgresql://user:***@host`), drops any SQL parameter dump that still gets through, and cuts every
record, traceback included, to MAX_RECORD characters, so no body of any size is ever written out whole. Slack
tokens (`xoxb-...`, `xapp-...`) are masked too.

Two formats (LOG_FORMAT): `json`, one JSON object per line (timestamp, level, logger, message, and workspace,
channel, event_id, card, tier, action, incident where known), for log collectors; `text`, the one-line human form,
for a terminal; `auto` (the default) picks json unless stderr is a terminal. The known fields come from `extra=`
(`log_fields(...)`) or from `log_context(...)`, which tags every line logged inside it in the same thread (the inbox
worker wraps each row in one). Only those named fields are ever written: nothing else passed to a record (a
payload, a message's text) reaches the output.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal, TextIO

MAX_RECORD = 4_000
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)(?P<password>[^\s@/'\"]+)(?=@)",
                          re.IGNORECASE)
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.DOTALL)
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", "mirage.slack", "waitress")  # INFO at the lowest
SILENT_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool")  # WARNING at the lowest: their INFO is every statement
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(mirage_context)s"
SLACK_TOKEN = re.compile(r"\b(?P<kind>xox[a-z]|xapp)-[A-Za-z0-9-]+")
LogFormat = Literal["json", "text", "auto"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text", "auto")
FIELDS = ("workspace", "channel", "event_id", "card", "tier", "action", "incident")  # the only extras written
MAX_FIELD = 100
_CONTEXT: ContextVar[Mapping[str, str] | None] = ContextVar("mirage_log_context", default=None)


def mask_urls(text: str) -> str:
    """Every `scheme://user:password@host` in `text` with the password replaced by `***`."""
    return URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)


def mask_tokens(text: str) -> str:
    """Every Slack token in `text` (xoxb-..., xoxp-..., xapp-...) replaced by its kind and `***`."""
    return SLACK_TOKEN.sub(lambda m: m.group("kind") + "-***", text)


def redact(text: str, limit: int = MAX_RECORD) -> str:
    """`text` with URL passwords and Slack tokens masked, SQL parameter dumps removed, and at most `limit`
    characters."""
    text = SQL_PARAMETERS.sub("[parameters hidden]", mask_tokens(mask_urls(text)))
    if len(text) > limit:
        text = f"{text[:limit]}… [{len(text) - limit} more characters not logged]"
    return text


def _field(value: object) -> str:
    return redact(str(value), MAX_FIELD)


def log_fields(**fields: object) -> dict[str, str]:
    """The `extra=` of a log call: the known fields (FIELDS) that have a value, as short strings.

    `log.info("claim handled", extra=log_fields(card="FM-16", action="reply"))`."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log field(s) {sorted(unknown)}; use {', '.join(FIELDS)}")
    return {name: _field(value) for name, value in fields.items() if value is not None and value != ""}


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Tag every line logged inside the block, in this thread, with `fields` (see `log_fields`)."""
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **log_fields(**fields)})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Puts the current `log_context` fields on each record (when the call did not pass its own) and the short
    `mirage_context` suffix the text format shows. Runs in the logging thread, where the context is set."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_CONTEXT.get() or {}).items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        shown = [f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None) is not None]
        record.mirage_context = f" [{' '.join(shown)}]" if shown else ""
        return True


class RedactingFormatter(logging.Formatter):
    """A Formatter whose output (message, arguments and traceback) has gone through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "mirage_context"):
            record.mirage_context = ""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: timestamp (UTC, ISO 8601), level, logger, message, the known
    FIELDS present, and `exception` (the traceback) when there is one. Every value has gone through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = _field(value)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=True)


def use_json(fmt: str, stream: TextIO) -> bool:
    """Whether `fmt` (json | text | auto) means JSON on `stream`: auto is JSON unless the stream is a terminal."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}; got {fmt!r}")
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return fmt == "json"


def configure_logging(level: str = "INFO", stream: TextIO | None = None, force: bool = False,
                      fmt: str = "text") -> None:
    """Root logging at `level` through one redacting handler on `stream` (stderr), in format `fmt` (json, text, or
    auto: json unless the stream is a terminal); Bolt, slack_sdk and waitress stay at INFO or above whatever
    `level` says (their DEBUG lines carry payloads), SQLAlchemy at WARNING.

    Like logging.basicConfig, a root logger that already has handlers is left alone unless `force`."""
    root = logging.getLogger()
    if force:
        for old in list(root.handlers):
            root.removeHandler(old)
    if not root.handlers:
        out = stream or sys.stderr
        handler = logging.StreamHandler(out)
        handler.addFilter(ContextFilter())
        handler.setFormatter(JsonFormatter() if use_json(fmt, out) else RedactingFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(level.upper())
    for names, lowest in ((QUIET_LOGGERS, logging.INFO), (SILENT_LOGGERS, logging.WARNING)):
        for name in names:
            logging.getLogger(name).setLevel(max(lowest, root.level))
    # Alembic's per-start INFO lines ("Context impl SQLiteImpl", "Will assume transactional DDL") only at DEBUG
    logging.getLogger("alembic").setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
