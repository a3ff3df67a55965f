"""`mirage bench replay`: generate a realistic Slack export, replay it into a fresh SQLite file, print where time goes.

The generated export has the shape of a real one (channels.json, groups.json, dms.json, users.json, one folder per
conversation with one file per day, messages carrying blocks and user_profile like Slack's own exports): busy and
quiet channels, weekends, threads, edits, file shares, joins, bot posts, about 3% benchmark talk and a little talk
about user outcomes. Targets for 1,000,000 messages: under 60 s and under 300 MB peak memory.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.bench.corpus import BENCHMARK_TALK, CHATTER
from bot.catalog import load_catalog
from bot.detection import Detector
from bot.settings import Settings

TEAM = "T0BENCH01"
MORE_BENCHMARK_TALK = [
    "Our new model tops the leaderboard on GSM8K, ship it 🚀",
    "v{n} is SOTA on HumanEval, let's roll it out to everyone",
    "MMLU went from 70.1 to 7{d}.4 with the new data mix, so we should switch the default",
    "the eval harness is flaky on ARC again, rerunning",
    "we only have benchmark numbers so far, no user data yet",
]
OUTCOME_TALK = [
    "we ran an A/B test with real users last week: retention went up {d}%",
    "customers in production reported fewer errors after the rollout",
    "support tickets about wrong answers dropped by {d}0% since the switch",
    "user interviews say the summaries are too long, whatever the evals say",
]
UNICODE_CHATTER = [
    "merci à tous pour la démo 🎉",
    "今日のデプロイは完了しました ✅",
    "¿alguien tiene el enlace del tablero? 🙏",
]
TARGET_SECONDS = 60
TARGET_MB = 300


@dataclass(frozen=True, slots=True)
class Shape:
    messages: int
    channels: int
    days: int
    benchmark_share: float = 0.03
    outcome_share: float = 0.008
    seed: int = 11


def _channels(count: int, rng: random.Random) -> list[tuple[str, str, str, float]]:
    """(id, name, kind, activity weight): mostly public channels, some private ones and DMs; a few busy ones."""
    found = []
    for i in range(count):
        kind = "channel" if i % 10 < 7 else "group" if i % 10 < 9 else "dm"
        cid = {"channel": "C", "group": "G", "dm": "D"}[kind] + f"{i:08d}"
        name = cid if kind == "dm" else f"{['ml', 'eng', 'team', 'proj', 'ops'][i % 5]}-{i:03d}"
        found.append((cid, name, kind, 1.0 / (1 + i % 17) ** 0.9 * rng.uniform(0.6, 1.4)))
    return found


def _profile(user: str) -> dict[str, Any]:
    return {
        "avatar_hash": "g" + user[-6:], "image_72": f"https://secure.gravatar.com/avatar/{user}.jpg",
        "first_name": user, "real_name": f"User {user}", "display_name": user.lower(),
        "team": TEAM, "name": user.lower(), "is_restricted": False, "is_ultra_restricted": False,
    }


def _blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "block_id": "b" + str(len(text)), "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


class _Generator:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.users = [f"U{i:08d}" for i in range(300)]
        self.channels = _channels(shape.channels, self.rng)
        self.start = date(2024, 1, 1)
        self.threads: dict[str, list[str]] = {}

    def _text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < self.shape.benchmark_share:
            pool = BENCHMARK_TALK if rng.random() < 0.7 else MORE_BENCHMARK_TALK
        elif roll < self.shape.benchmark_share + self.shape.outcome_share:
            pool = OUTCOME_TALK
        else:
            pool = UNICODE_CHATTER if rng.random() < 0.03 else CHATTER
        return rng.choice(pool).format(n=rng.randint(100, 9999), d=rng.randint(1, 9))

    def _message(self, ts: str, user: str, threads: list[str]) -> dict[str, Any]:
        rng = self.rng
        text = self._text()
        entry: dict[str, Any] = {
            "client_msg_id": f"{rng.getrandbits(64):016x}-{ts}", "type": "message", "text": text, "user": user,
            "ts": ts, "team": TEAM, "user_team": TEAM, "source_team": TEAM, "blocks": _blocks(text),
            "user_profile": _profile(user),
        }
        roll = rng.random()
        if roll < 0.05:  # a bot post
            return {"type": "message", "subtype": "bot_message", "text": f"build #{rng.randint(1, 9999)} passed",
                    "ts": ts, "bot_id": "B0DEPLOY1", "username": "ci"}
        if roll < 0.06:
            return {"type": "message", "subtype": "channel_join", "user": user, "ts": ts,
                    "text": f"<@{user}> has joined the channel"}
        if roll < 0.075:
            entry["subtype"] = "file_share"
            entry["files"] = [{"id": f"F{rng.getrandbits(40):010X}", "name": "plot.png", "mimetype": "image/png"}]
            if roll < 0.0615:  # a tenth of file shares carry no text (reported as problems)
                entry["text"] = ""
        if rng.random() < 0.03:
            entry["edited"] = {"user": user, "ts": ts}
        if threads and rng.random() < 0.25:
            entry["thread_ts"] = rng.choice(threads[-5:])
            entry["parent_user_id"] = user
        elif rng.random() < 0.12:
            entry["thread_ts"] = ts
            entry["reply_count"] = 1
            threads.append(ts)
            del threads[:-20]
        return entry

    def days(self) -> Iterator[tuple[str, date, list[dict[str, Any]]]]:
        """(folder, day, messages) per day file, in total about `shape.messages` entries."""
        shape, rng = self.shape, self.rng
        per_day = shape.messages / shape.days
        produced = 0
        for offset in range(shape.days):
            day = self.start + timedelta(days=offset)
            weekday_factor = 0.25 if day.weekday() >= 5 else 1.0
            midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
            budget = shape.messages - produced if offset == shape.days - 1 else round(per_day * rng.uniform(0.8, 1.2))
            weights = [c[3] * weekday_factor for c in self.channels]
            scale = budget / sum(weights) if sum(weights) else 0.0
            counts = []
            for weight in weights:
                count = min(max(0, round(weight * scale * rng.uniform(0.5, 1.5))), shape.messages - produced)
                counts.append(count)
                produced += count
            if offset == shape.days - 1 and produced < shape.messages and counts:
                busiest = max(range(len(counts)), key=lambda i: weights[i])
                counts[busiest] += shape.messages - produced  # the last day makes up the total exactly
                produced = shape.messages
            for (cid, name, kind, _), count in zip(self.channels, counts, strict=True):
                if count == 0:
                    continue
                seconds = sorted(rng.sample(range(86_400 * 1000), count))
                threads = self.threads.setdefault(cid, [])
                user_pool = self.users[hash(cid) % 250 :][:40]
                messages = [
                    self._message(f"{midnight + s // 1000}.{(s % 1000) * 1000 + i % 1000:06d}",
                                  rng.choice(user_pool), threads)
                    for i, s in enumerate(seconds)
                ]
                yield (cid if kind == "dm" else name), day, messages

    def metadata(self) -> dict[str, Any]:
        def conv(cid: str, name: str) -> dict[str, Any]:
            return {"id": cid, "name": name, "created": 1_700_000_000, "creator": self.users[0],
                    "is_archived": False, "members": self.users[:20],
                    "topic": {"value": "", "creator": "", "last_set": 0},
                    "purpose": {"value": f"talk about {name}", "creator": "", "last_set": 0}}

        return {
            "channels.json": [conv(c, n) for c, n, k, _ in self.channels if k == "channel"],
            "groups.json": [conv(c, n) for c, n, k, _ in self.channels if k == "group"],
            "dms.json": [{"id": c, "created": 1_700_000_000, "members": self.users[:2]}
                         for c, _, k, _ in self.channels if k == "dm"],
            "mpims.json": [],
            "users.json": [{"id": u, "team_id": TEAM, "name": u.lower(), "real_name": f"User {u}",
                            "profile": {"display_name": u.lower()}} for u in self.users],
        }


def generate_export(root: Path, shape: Shape, as_zip: bool = False) -> tuple[Path, int]:
    """Write the export under `root` (a folder, or `root`.zip); returns (path, bytes of day files)."""
    generator = _Generator(shape)
    size = 0
    if as_zip:
        path = root.with_suffix(".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, value in generator.metadata().items():
                archive.writestr(name, json.dumps(value))
            for folder, day, messages in generator.days():
                data = json.dumps(messages, ensure_ascii=False).encode()
                size += len(data)
                archive.writestr(f"{folder}/{day.isoformat()}.json", data)
        return path, size
    root.mkdir(parents=True, exist_ok=True)
    for name, value in generator.metadata().items():
        (root / name).write_text(json.dumps(value), encoding="utf-8")
    for folder, day, messages in generator.days():
        target = root / folder
        target.mkdir(exist_ok=True)
        data = json.dumps(messages, ensure_ascii=False).encode()
        size += len(data)
        (target / f"{day.isoformat()}.json").write_bytes(data)
    return root, size


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    messages: Annotated[int, typer.Option(help="Messages in the generated export.")] = 1_000_000,
    channels: Annotated[int, typer.Option(help="Conversations in the export.")] = 120,
    days: Annotated[int, typer.Option(help="Days of history.")] = 365,
    as_zip: Annotated[bool, typer.Option("--zip", help="Generate a .zip export instead of a folder.")] = False,
    keep: Annotated[
        Path | None, typer.Option(help="Generate into this folder and keep it (default: a temp dir).")
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules directory.")] = None,
) -> None:
    """Generate an export, replay it into a fresh SQLite database, print msg/s, phases and peak memory."""
    from bot.replay.run import ReplayOptions, replay
    from bot.store.engine import make_engine, upgrade_database

    if messages < 1 or channels < 1 or days < 1:
        raise typer.BadParameter("--messages, --channels and --days must be positive")
    catalog = load_catalog(rules or Settings().rules_dir)
    detector = Detector.from_catalog(catalog)
    gc.freeze()  # as `mirage replay` does: the pipeline's long-lived objects are not rescanned by every collection
    workdir = keep or Path(tempfile.mkdtemp(prefix="mirage-bench-replay-"))
    try:
        started = time.perf_counter()
        path, size = generate_export(workdir / "export", Shape(messages, channels, days), as_zip)
        generated = time.perf_counter() - started
        typer.echo(f"generated        {messages:,} entries, {size / 2**20:,.0f} MB of day files in {generated:.1f} s")
        os.sync()  # let the generated files reach the disk now, not while the replay is being timed
        engine = make_engine(f"sqlite:///{workdir / 'replay.db'}")
        upgrade_database(engine)
        rss_before = _peak_mb()
        report = replay(path, detector, catalog, engine, ReplayOptions())
        again = replay(path, detector, catalog, engine, ReplayOptions(dry_run=False))
        engine.dispose()
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    t = report.timings
    rate = report.messages / t.wall if t.wall else 0.0
    other = t.wall - t.parse - t.detect - t.store
    peak = _peak_mb()
    typer.echo(f"export           {report.read.day_files:,} day files, {report.read.entries:,} entries, "
               f"{report.messages:,} human messages ({report.read.bot_messages:,} bot, "
               f"{report.read.system_messages:,} system, {report.read.problem_count:,} problems)")
    typer.echo(f"claims           {report.claims:,} found, {report.stored:,} stored, "
               f"{report.balance_days_written:,} channel-days of balance")
    entries_rate = report.read.entries / t.wall if t.wall else 0.0
    typer.echo(f"wall time        {t.wall:.1f} s  ({rate:,.0f} messages/s, {entries_rate:,.0f} entries/s)")
    for phase, seconds in (("parse", t.parse), ("detect", t.detect), ("store", t.store)):
        typer.echo(f"  {phase:<14} {seconds:.1f} s  ({seconds / t.wall if t.wall else 0:.0%})")
    typer.echo(f"  other          {other:.1f} s")
    typer.echo(f"second run       {again.timings.wall:.1f} s, {again.stored} stored, "
               f"{again.already_stored:,} already stored (idempotent)")
    typer.echo(f"peak memory      {peak:.0f} MB (before the replay: {rss_before:.0f} MB)")
    verdict_time = "ok" if t.wall < TARGET_SECONDS else "MISSED"
    verdict_mem = "ok" if peak < TARGET_MB else "MISSED"
    typer.echo(f"targets          < {TARGET_SECONDS} s: {verdict_time}; < {TARGET_MB} MB: {verdict_mem}")


def register(bench_app: typer.Typer) -> None:
    """Wire this benchmark into `mirage bench`."""
    bench_app.command("replay")(run)
