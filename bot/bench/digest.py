"""`mirage bench digest`: seed many incidents fast, then time load_digest_input for one week (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, text

from bot.domain import ACTIONS as DOMAIN_ACTIONS
from bot.domain import VERDICTS, Action
from bot.week import IsoWeek

WORKSPACE = "T0BENCH"
CARDS = (("FM-16", "live"), ("RF-39", "shadow"))
ACTIONS: tuple[Action, ...] = ("reply", *DOMAIN_ACTIONS)  # every action, replies weighted twice
COLUMNS = (
    "workspace_id", "channel_id", "user_id", "message_ts", "thread_ts", "event_id", "card_id", "card_mode",
    "confidence", "triggers", "excerpt", "permalink", "action", "action_reason", "reply_channel", "reply_ts",
    "post_error", "source", "created_at",
)
FEEDBACK_EVERY = 20  # one feedback row per 20 incidents
CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class Seed:
    incidents: int
    channels: int
    weeks: int
    last_week: IsoWeek

    @property
    def first_moment(self) -> datetime:
        return self.last_week.shift(-(self.weeks - 1)).start

    @property
    def span_seconds(self) -> float:
        return self.weeks * 7 * 86_400.0

    def incident_rows(self) -> Iterator[tuple[Any, ...]]:
        """Incidents in time order, spread evenly over the weeks (so id order follows time, as in production)."""
        rng = random.Random(42)
        step = self.span_seconds / max(self.incidents, 1)
        triggers = json.dumps(["scored highest", "MMLU"])
        for i in range(self.incidents):
            moment = self.first_moment + timedelta(seconds=i * step + rng.random() * step)
            card, mode = CARDS[0] if rng.random() < 0.85 else CARDS[1]
            channel = f"C{rng.randrange(self.channels):04d}"
            ts = f"{moment.timestamp():.6f}"
            yield (
                WORKSPACE, channel, f"U{rng.randrange(500):04d}", ts, None, f"Ev{i:09d}", card, mode,
                round(rng.random(), 4), triggers, f"It scored highest on MMLU, so ship it (#{i}).",
                None, ACTIONS[i % len(ACTIONS)], "bench", None, None, None, "live", moment,
            )

    def feedback_rows(self) -> Iterator[tuple[Any, ...]]:
        """(incident_id, user_id, verdict, created_at): ids are 1..N on a fresh table."""
        step = self.span_seconds / max(self.incidents, 1)
        for n, incident_id in enumerate(range(1, self.incidents + 1, FEEDBACK_EVERY)):
            moment = self.first_moment + timedelta(seconds=(incident_id - 1) * step + 3600)
            yield incident_id, f"U{n % 500:04d}", VERDICTS[n % 3], moment

    def balance_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(7)
        first_day = self.first_moment.date()
        for c in range(self.channels):
            for d in range(self.weeks * 7):
                messages = rng.randrange(50, 500)
                yield (WORKSPACE, f"C{c:04d}", first_day + timedelta(days=d), messages,
                       rng.randrange(0, messages // 10), rng.randrange(0, messages // 20))


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME format


def seed_sqlite(engine: Engine, seed: Seed) -> int:
    """Bulk insert with executemany inside one transaction; returns the number of rows written."""
    marks = ", ".join("?" * len(COLUMNS))
    written = 0
    with engine.begin() as conn:
        sql = f"INSERT INTO incidents ({', '.join(COLUMNS)}) VALUES ({marks})"
        for chunk in _chunks(seed.incident_rows()):
            conn.exec_driver_sql(sql, [(*row[:-1], _sqlite_time(row[-1])) for row in chunk])
            written += len(chunk)
        for chunk in _chunks(seed.feedback_rows()):
            conn.exec_driver_sql(
                "INSERT INTO feedback (incident_id, user_id, verdict, created_at) VALUES (?, ?, ?, ?)",
                [(*row[:-1], _sqlite_time(row[-1])) for row in chunk],
            )
            written += len(chunk)
        for chunk in _chunks(seed.balance_rows()):
            conn.exec_driver_sql(
                "INSERT INTO daily_balance (workspace_id, channel_id, day, messages, benchmark_messages, "
                "user_outcome_messages) VALUES (?, ?, ?, ?, ?, ?)",
                [(*row[:2], row[2].isoformat(), *row[3:]) for row in chunk],
            )
            written += len(chunk)
        conn.exec_driver_sql("ANALYZE")
    return written


def seed_postgres(engine: Engine, seed: Seed) -> int:
    """COPY FROM STDIN for every table; returns the number of rows written."""
    raw = engine.raw_connection()
    written = 0
    try:
        dbapi: Any = raw.driver_connection
        with dbapi.cursor() as cur:
            with cur.copy(f"COPY incidents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in seed.incident_rows():
                    copy.write_row(row)
                    written += 1
            with cur.copy("COPY feedback (incident_id, user_id, verdict, created_at) FROM STDIN") as copy:
                for row in seed.feedback_rows():
                    copy.write_row(row)
                    written += 1
            with cur.copy("COPY daily_balance (workspace_id, channel_id, day, messages, benchmark_messages, "
                          "user_outcome_messages) FROM STDIN") as copy:
                for row in seed.balance_rows():
                    copy.write_row(row)
                    written += 1
        dbapi.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return written


def time_digest(engine: Engine, week: IsoWeek, runs: int = 3) -> tuple[float, float, int]:
    """(first run s, best run s, claims this week) for load_digest_input on `week`."""
    from bot.store.digest_queries import load_digest_input
    from bot.store.engine import session_scope

    timings: list[float] = []
    claims = 0
    for _ in range(runs):
        with session_scope(engine) as s:
            started = time.perf_counter()
            data = load_digest_input(s, WORKSPACE, week)
            timings.append(time.perf_counter() - started)
            claims = sum(c.this_week for c in data.claims)
    return timings[0], min(timings), claims


def _report(name: str, engine: Engine, seed: Seed, seeder: Any) -> None:
    from bot.store.engine import upgrade_database

    upgrade_database(engine)
    started = time.perf_counter()
    rows = seeder(engine, seed)
    seconds = time.perf_counter() - started
    first, best, claims = time_digest(engine, seed.last_week)
    verdict = "OK" if best < 1.0 else "SLOW"
    typer.echo(f"{name:10} seeded {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    typer.echo(f"{name:10} load_digest_input {seed.last_week}: first {first * 1000:.0f} ms, best {best * 1000:.0f} ms "
               f"({claims:,} claims that week) [{verdict}: target < 1 s]")


def run(
    incidents: Annotated[int, typer.Option(min=1, help="Incidents to seed.")] = 1_000_000,
    channels: Annotated[int, typer.Option(min=1, help="Channels they are spread over.")] = 50,
    weeks: Annotated[int, typer.Option(min=2, help="Weeks of history.")] = 26,
    postgres_url: Annotated[
        str | None,
        typer.Option("--postgres-url", help="A PostgreSQL server to use (a scratch database is created and dropped)."),
    ] = None,
    no_postgres: Annotated[bool, typer.Option("--no-postgres", help="Only benchmark SQLite.")] = False,
) -> None:
    """Seed INCIDENTS over CHANNELS and WEEKS, then time the weekly digest query on SQLite and PostgreSQL."""
    from bot.bench.support.pgserver import PostgresUnavailable, ThrowawayPostgres, create_database, drop_database
    from bot.store.engine import make_engine

    seed = Seed(incidents, channels, weeks, IsoWeek.of(datetime.now(UTC)).previous())
    typer.echo(f"{incidents:,} incidents, {channels} channels, {weeks} weeks; digest week {seed.last_week}")

    with tempfile.TemporaryDirectory(prefix="mirage-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            _report("sqlite", engine, seed, seed_sqlite)
        finally:
            engine.dispose()

    if no_postgres:
        return
    server: ThrowawayPostgres | None = None
    try:
        if postgres_url is None:
            server = ThrowawayPostgres().start()
            postgres_url = server.url
            where = "throwaway server (fsync off)"
        else:
            where = "given server"
        name = f"mirage_bench_{int(time.time())}"
        engine = make_engine(create_database(postgres_url, name))
        typer.echo(f"postgres   on a {where}")
        try:
            _report("postgres", engine, seed, seed_postgres)
        finally:
            engine.dispose()
            drop_database(postgres_url, name)
    except PostgresUnavailable as exc:
        typer.echo(f"postgres   skipped: {exc}", err=True)
    finally:
        if server is not None:
            server.cleanup()


def register(bench_app: typer.Typer) -> None:
    """Wire this benchmark into `mirage bench`."""
    bench_app.command("digest")(run)
