"""Database failures as one line: the URL with its password masked, the driver's first line, and the hint that fits
the cause (a server not reachable is not a schema to migrate)."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.logs import mask_urls

PASSWORD_PAIR = re.compile(r"(?P<key>\bpassword\s*=\s*)(?:'[^']*'|\"[^\"]*\"|\S+)", re.IGNORECASE)
HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), hint)
    for pattern, hint in (
        (r"password authentication failed|authentication failed|role .* does not exist|no password supplied",
         "check the user and password in DATABASE_URL"),
        (r"database \S+ does not exist",
         "create that database first (e.g. `createdb`), or fix its name in DATABASE_URL"),
        (r"connection refused|could not connect|connection failed|timeout expired|timed out|no route to host|"
         r"name or service not known|could not translate host name|nodename nor servname|network is unreachable",
         "is the database server running, and are the host and port in DATABASE_URL right?"),
        (r"no such table|relation \S+ does not exist|undefinedtable|no such column|column \S+ does not exist",
         "the schema is missing or old: run `mirage db upgrade`"),
        (r"unable to open database file|readonly database|read-only|permission denied",
         "check that the database file's folder exists and is writable"),
        (r"database is locked", "another process holds the SQLite file; stop it or use PostgreSQL for several"),
        (r"no module named|can't load plugin|is not a database url|could not parse",
         "DATABASE_URL should look like sqlite:///mirage.db or postgresql+psycopg://user:pw@host/db"),
    )
)


def masked(url: str) -> str:
    """`url` with its password shown as ***; a string that is not a URL comes back unchanged."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def hide_password(text: str, url: str) -> str:
    """`text` (what a driver said) with any URL password, `password=...` pair, and the password of `url` written as
    a word of its own, shown as ***. A word that merely contains the password ("postgresql" for the password
    "postgres") stays, and so does a user or database name equal to it: the masked URL shows those anyway."""
    text = PASSWORD_PAIR.sub(r"\g<key>***", mask_urls(text))
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return text
    secret = parsed.password
    if not secret or secret in (parsed.username, parsed.database):
        return text
    return re.sub(rf"(?<![\w-]){re.escape(str(secret))}(?![\w-])", "***", text)


def reason(exc: BaseException) -> str:
    """The first line of what the driver said (not SQLAlchemy's wrapper, statement or "Background" link)."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip() or type(inner).__name__
    return text.splitlines()[0].strip()


def hint_for(text: str) -> str | None:
    """The advice that fits this cause, or None when nothing known matches."""
    for pattern, hint in HINTS:
        if pattern.search(text):
            return hint
    return None


def database_problem(exc: BaseException, url: str, doing: str = "use the database") -> str:
    """`cannot <doing> <masked url>: <reason>; <hint>`, one line, the password never shown."""
    full = str(getattr(exc, "orig", None) or exc)
    line = f"cannot {doing} {masked(url)}: {hide_password(reason(exc), url)}"
    hint = hint_for(full)
    if hint is not None:
        line += f"; {hint}"
    return line
