"""Shared fixtures: the shipped `catalog` and its `detector` (built once per session); database fixtures
`sqlite_engine` (a migrated file in tmp_path), `pg_engine` (a fresh migrated database on a throwaway PostgreSQL
server, or MIRAGE_TEST_PG_URL) and `engine`, parametrized over both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.catalog import Catalog, load_catalog
from bot.detection import Detector
from bot.settings import default_rules_dir
from bot.store.engine import make_engine, upgrade_database

from .pg import ENV_URL, PgServer, PostgresUnavailable, pg_server


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(default_rules_dir())


@pytest.fixture(scope="session")
def detector(catalog: Catalog) -> Detector:
    return Detector.from_catalog(catalog)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session; the postgres tests fail (not skip) when there is none."""
    try:
        with pg_server() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests need a server: {exc} (or set {ENV_URL})", pytrace=False)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'mirage.db'}")
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg: PgServer) -> Iterator[Engine]:
    with pg.engine() as engine:
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on SQLite and on PostgreSQL."""
    found: Engine = request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
    return found
