"""A throwaway PostgreSQL server in a temporary directory (for tests and `mirage bench digest`).

Uses initdb/pg_ctl from /usr/lib/postgresql/*/bin (or PATH); as root it runs them as the `postgres` user.
Listens on 127.0.0.1 on a free port, trusts local connections, and is deleted on stop().
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psycopg

POSTGRES_USER = "postgres"
INSTALL_HINT = "install PostgreSQL (Debian: `apt-get install -y postgresql`, or run .ci/postgres.sh)"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the server would not start."""


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, else the directory of `initdb` on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or on PATH: {INSTALL_HINT}"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayPostgres:
    """`with ThrowawayPostgres() as pg: pg.url` — a fresh server; stop() (or leaving the block) deletes it."""

    def __init__(self, bin_dir: Path | None = None, durable: bool = False) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.durable = durable  # False: fsync off, faster for tests
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mirage-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        self._initialised = False

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `postgres` maintenance database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        command: Sequence[str] = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", POSTGRES_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def _initdb(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, POSTGRES_USER, POSTGRES_USER)
        self._run("initdb", "-D", str(self.data), "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        self._initialised = True

    def start(self, timeout: float = 30.0) -> ThrowawayPostgres:
        """Start the server (initialising it the first time) and wait until it accepts connections."""
        if not self._initialised:
            self._initdb()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", str(int(timeout)),
                  "start")
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll until a connection succeeds (pg_ctl -w already waited; this proves TCP works)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=POSTGRES_USER, dbname="postgres",
                                     connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"PostgreSQL on port {self.port} not ready: {exc}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (fast shutdown); the data directory stays until cleanup()."""
        if self._initialised and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (optionally from `template`); its SQLAlchemy URL."""
        return create_database(self.url, name, template)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.cleanup()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` on the server of `admin_url` and return its SQLAlchemy URL."""
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(statement)
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def drop_database(admin_url: str, name: str) -> None:
    from psycopg import sql

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
