"""Engines, sessions and schema migrations. Nothing connects until a function here is called."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_REOPEN = ("readonly database", "disk I/O error", "unable to open database file")


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite(engine: Engine) -> None:
    """WAL and foreign keys on every new connection; SQLAlchemy (not the driver) emits BEGIN, so SAVEPOINTs nest."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN (see the "begin" listener)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A connection opened while the file was read-only (or moved) stays that way: treat it as a lost
        # connection so the pool is emptied, and the next transaction opens the file again once it is fixed.
        error = context.original_exception
        if isinstance(error, sqlite3.Error) and any(sign in str(error) for sign in SQLITE_REOPEN):
            context.is_disconnect = True


def make_engine(url: str) -> Engine:
    """An engine for `url`. SQLite: WAL, foreign keys, a 30 s busy timeout, parent directory created. PG: pre-ping.
    Both hide bound parameters from SQL errors and echo logs: they hold message excerpts."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)
        _prepare_sqlite(engine)
        return engine
    if backend == "postgresql" and make_url(url).drivername == "postgresql":
        url = str(make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    connect_args = {"connect_timeout": 5} if backend == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back when it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def head_revision() -> str:
    """The newest migration shipped with this package."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head: str | None = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade_database(engine: Engine) -> None:
    """Run the Alembic migrations shipped in bot/store/migrations up to head, on `engine`'s database."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
