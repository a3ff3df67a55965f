"""Throwaway PostgreSQL for the tests: one server per session (or MIRAGE_TEST_PG_URL), a fresh database per test."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from bot.bench.support.pgserver import PostgresUnavailable, ThrowawayPostgres, create_database, drop_database
from bot.store.engine import make_engine, upgrade_database

ENV_URL = "MIRAGE_TEST_PG_URL"
TEMPLATE = f"mirage_template_{os.getpid()}"


class PgServer:
    """The admin URL of a PostgreSQL server plus a migrated template database to copy for each test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._names = itertools.count(1)
        self._template_ready = False

    def fresh_url(self, migrated: bool = True) -> tuple[str, str]:
        """(name, url) of a brand-new database; `migrated` copies the template that is already at head."""
        name = f"mirage_test_{os.getpid()}_{next(self._names)}"
        if not migrated:
            return name, create_database(self.admin_url, name)
        if not self._template_ready:
            template = make_engine(create_database(self.admin_url, TEMPLATE))
            try:
                upgrade_database(template)
            finally:
                template.dispose()
            self._template_ready = True
        return name, create_database(self.admin_url, name, template=TEMPLATE)

    @contextmanager
    def engine(self, migrated: bool = True) -> Iterator[Engine]:
        name, url = self.fresh_url(migrated)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
            drop_database(self.admin_url, name)

    def close(self) -> None:
        if self._template_ready:
            drop_database(self.admin_url, TEMPLATE)


@contextmanager
def pg_server() -> Iterator[PgServer]:
    """MIRAGE_TEST_PG_URL's server when set; otherwise a throwaway server for as long as the block runs."""
    url = os.environ.get(ENV_URL)
    if url:
        server = PgServer(url)
        try:
            yield server
        finally:
            server.close()
        return
    throwaway = ThrowawayPostgres()
    try:
        throwaway.start()
        yield PgServer(throwaway.url)
    finally:
        throwaway.cleanup()


__all__ = ["ENV_URL", "PgServer", "PostgresUnavailable", "pg_server"]
