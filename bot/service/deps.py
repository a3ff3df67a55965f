"""What every service needs, passed in explicitly: the store engine, the detector, the catalog and the settings."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.catalog import Catalog
from bot.detection import Detector
from bot.policy import Caps, ChannelFacts
from bot.settings import Settings
from bot.store.channels import channel_setting
from bot.store.engine import session_scope


def utc_now() -> datetime:
    return datetime.now(UTC)


class SeenEvents:
    """The last few thousand event ids this process handled: a Slack retry of one of them is dropped at once.

    The store's UNIQUE event_id is what guarantees no second incident or reply across processes; this only saves
    the work (and keeps non-claims from being counted twice in the channel balance).
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (and remembers it), False for a repeat."""
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return True


class WriteLock:
    """One writer at a time (SQLite), where urgent writers go first: the intake write in a request thread (Slack
    waits for its ack) never queues behind the inbox worker's transactions."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._urgent = 0

    @contextmanager
    def hold(self, urgent: bool = False) -> Iterator[None]:
        with self._cond:
            if urgent:
                self._urgent += 1
            try:
                while self._held or (not urgent and self._urgent):
                    self._cond.wait()
                self._held = True
            finally:
                if urgent:
                    self._urgent -= 1
        try:
            yield
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()


@dataclass
class Deps:
    engine: Engine
    detector: Detector
    catalog: Catalog
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    seen: SeenEvents = field(default_factory=SeenEvents)
    settings_ttl: float = 5.0  # seconds a channel's mode is cached; `/mirage mode` here refreshes it at once
    inbox_signal: threading.Event = field(default_factory=threading.Event)  # set when the inbox has new rows
    _write_lock: WriteLock = field(default_factory=WriteLock)
    _channels: dict[tuple[str, str], tuple[float, ChannelFacts]] = field(default_factory=dict)

    def channel_facts(self, workspace_id: str, channel_id: str) -> ChannelFacts:
        """The channel's mode and cooldown, read at most every `settings_ttl` seconds per channel."""
        key = (workspace_id, channel_id)
        cached = self._channels.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.settings_ttl:
            return cached[1]
        with session_scope(self.engine) as s:
            setting = channel_setting(s, workspace_id, channel_id)
            facts = ChannelFacts(mode=setting.mode, cooldown_minutes=setting.cooldown_minutes)  # type: ignore[arg-type]
        self._channels[key] = (time.monotonic(), facts)
        return facts

    def forget_channel(self, workspace_id: str, channel_id: str) -> None:
        self._channels.pop((workspace_id, channel_id), None)

    @contextmanager
    def writing(self, urgent: bool = False) -> Iterator[Session]:
        """A session for a transaction that writes. On SQLite, one writer at a time in this process: a deferred
        transaction that reads then writes cannot wait for another writer (SQLITE_BUSY at once, whatever the busy
        timeout), so the bot's own threads queue here instead, `urgent` ones (intake) first. PostgreSQL needs no
        such lock."""
        if self.engine.dialect.name != "sqlite":
            with session_scope(self.engine) as s:
                yield s
            return
        with self._write_lock.hold(urgent), session_scope(self.engine) as s:
            yield s


    def writable(self) -> bool:
        """Readiness: the database takes a write right now (a no-op UPDATE, rolled back)."""
        try:
            with self._write_lock.hold(urgent=True) if self.engine.dialect.name == "sqlite" else nullcontext(), \
                    self.engine.connect() as connection, connection.begin() as transaction:
                connection.execute(text("UPDATE inbox SET attempts = attempts WHERE id = -1"))
                transaction.rollback()
        except SQLAlchemyError:
            return False
        return True

    def wake(self) -> None:
        """Tell the inbox worker there is something new to claim."""
        self.inbox_signal.set()

    @property
    def caps(self) -> Caps:
        return Caps(cooldown_minutes=self.settings.cooldown_minutes, user_daily_cap=self.settings.user_daily_cap)
