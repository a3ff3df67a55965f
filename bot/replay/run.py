"""Replay a Slack export through the detector: what would Mirage have said? Stores incidents (source 'replay',
action 'log') and the daily balance unless it is a dry run; never posts anything.

The export is read one day file at a time. A channel's messages are detected in batches of up to DETECT_BATCH
(`Detector.detect_many`, no thread context, across day files); the few that fire inside a thread are detected again
with the earlier messages of their thread (kept in a bounded per-channel cache), which can only silence them. The
result is the same as calling `detect(text, context)` on every message, at batch speed. Store writes are batched
and idempotent (see bot.replay.store). Memory stays bounded: one day file, one detection batch, one write batch.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.detection import Detection, Detector
from bot.mrkdwn import excerpt
from bot.replay.export import Conversation, ExportMessage, Filters, SlackExport
from bot.replay.report import CardInfo, ReplayReport
from bot.replay.store import DayCounts, ReplayWriter, Written
from bot.store.incidents import NewIncident

DEFAULT_WORKSPACE = "replay"
THREAD_MESSAGES = 20  # the detector reads at most this many earlier messages of a thread
THREAD_TEXT_CHARS = 2_000  # ... and at most this much of each
THREAD_CACHE_THREADS = 5_000
THREAD_CACHE_CHARS = 8_000_000
DETECT_BATCH = 4_096  # messages of one channel detected together (across day files)


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What to replay and how. `workspace_id` None: the export's team id (users.json), else 'replay'."""

    channels: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    dry_run: bool = False
    workspace_id: str | None = None
    batch_size: int = 5_000
    thread_cache_threads: int = THREAD_CACHE_THREADS
    thread_cache_chars: int = THREAD_CACHE_CHARS

    @property
    def filters(self) -> Filters:
        return Filters(self.channels, self.since, self.until)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a running replay is: day files done of the total, messages read, claims found."""

    day_files_done: int
    day_files_total: int
    messages: int
    claims: int


class ThreadCache:
    """Earlier messages of recent threads in one channel: bounded in threads, messages per thread and characters."""

    def __init__(self, max_threads: int = THREAD_CACHE_THREADS, max_chars: int = THREAD_CACHE_CHARS) -> None:
        self.max_threads = max_threads
        self.max_chars = max_chars
        self.chars = 0
        self.threads: OrderedDict[str, deque[str]] = OrderedDict()

    def context(self, thread_ts: str) -> tuple[str, ...]:
        earlier = self.threads.get(thread_ts)
        return tuple(earlier) if earlier else ()

    def add(self, thread_ts: str, text: str) -> None:
        text = text[:THREAD_TEXT_CHARS]
        earlier = self.threads.get(thread_ts)
        if earlier is None:
            earlier = self.threads[thread_ts] = deque(maxlen=THREAD_MESSAGES)
        else:
            self.threads.move_to_end(thread_ts)
        if len(earlier) == THREAD_MESSAGES:
            self.chars -= len(earlier[0])
        earlier.append(text)
        self.chars += len(text)
        while len(self.threads) > self.max_threads or (self.chars > self.max_chars and len(self.threads) > 1):
            _, dropped = self.threads.popitem(last=False)
            self.chars -= sum(len(t) for t in dropped)

    def __len__(self) -> int:
        return len(self.threads)


def event_id(message: ExportMessage) -> str:
    return f"replay:{message.channel_id}:{message.ts}"


def new_incident(
    workspace_id: str, message: ExportMessage, detection: Detection, card_mode: str, private: bool = False
) -> NewIncident:
    """The incident of a replayed claim; a private conversation's incident keeps no text (no excerpt)."""
    assert detection.card_id is not None
    return NewIncident(
        workspace_id=workspace_id,
        channel_id=message.channel_id,
        user_id=message.user,
        message_ts=message.ts,
        thread_ts=message.thread_ts,
        event_id=event_id(message),
        card_id=detection.card_id,
        card_mode=card_mode,
        confidence=detection.confidence,
        triggers=tuple(detection.triggers),
        excerpt="" if private else excerpt(message.text),
        action="log",
        action_reason="replay",
        created_at=message.time,
        source="replay",
    )


def replay(
    export: SlackExport | Path,
    detector: Detector,
    catalog: Catalog,
    engine: Engine | None,
    options: ReplayOptions = ReplayOptions(),
    progress: Callable[[Progress], None] | None = None,
) -> ReplayReport:
    """Run every human message of `export` through `detector`; store what it finds unless `options.dry_run`."""
    if isinstance(export, Path):
        with SlackExport.open(export) as opened:
            return replay(opened, detector, catalog, engine, options, progress)
    return _Replay(export, detector, catalog, engine, options, progress).run()


class _Replay:
    def __init__(
        self,
        export: SlackExport,
        detector: Detector,
        catalog: Catalog,
        engine: Engine | None,
        options: ReplayOptions,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.export = export
        self.detector = detector
        self.options = options
        self.progress = progress
        self.workspace_id = options.workspace_id or export.team_id() or DEFAULT_WORKSPACE
        self.modes = {card.id: card.mode for card in catalog.cards}
        self.private: set[str] = set()  # private channels, DMs, group DMs: their incidents keep no text
        self.writer = None if options.dry_run or engine is None else ReplayWriter(
            engine, self.workspace_id, options.batch_size
        )
        self.report = ReplayReport(
            export=export.label,
            workspace_id=self.workspace_id,
            dry_run=self.writer is None,
            channels_filter=options.channels,
            since=options.since,
            until=options.until,
            read=export.stats,
            cards={card.id: CardInfo(card.name, card.mode) for card in catalog.cards},
        )

    def run(self) -> ReplayReport:
        started = time.perf_counter()
        timings = self.report.timings
        filters = self.options.filters
        plan = [(c, self.export.day_file_names(c, filters)) for c in self.export.select(filters)]
        total = sum(len(files) for _, files in plan)
        done = 0
        for conversation in (c for c, _ in plan):
            self.report.channel_names.setdefault(conversation.id, conversation.name)
            if conversation.kind != "channel":
                self.private.add(conversation.id)
        for conversation, files in plan:
            threads = ThreadCache(self.options.thread_cache_threads, self.options.thread_cache_chars)
            days: dict[date, DayCounts] = {}
            pending: list[ExportMessage] = []
            for path, day in files:
                t0 = time.perf_counter()
                pending += self.export.read_day(conversation, path, day, filters).messages
                timings.parse += time.perf_counter() - t0
                done += 1
                if len(pending) >= DETECT_BATCH:
                    self._detect(pending, threads, days)
                    pending = []
                if self.progress is not None:
                    self.progress(Progress(done, total, self.report.messages, self.report.claims))
            self._detect(pending, threads, days)
            self._finish_channel(conversation, days)
        self._flush()
        timings.wall = time.perf_counter() - started
        return self.report

    def _detect(self, messages: list[ExportMessage], threads: ThreadCache, days: dict[date, DayCounts]) -> None:
        """Detect a batch of one channel's messages, in order; re-check claims inside threads with their context."""
        if not messages:
            return
        started = time.perf_counter()
        detector = self.detector
        report = self.report
        for message, detection in zip(messages, detector.detect_many([m.text for m in messages]), strict=True):
            if message.thread_ts is not None:
                if detection.fired and message.is_reply:
                    detection = detector.detect(message.text, threads.context(message.thread_ts))
                threads.add(message.thread_ts, message.text)
            counts = days.get(message.day)
            if counts is None:
                counts = days[message.day] = DayCounts()
            counts.messages += 1
            if detection.mentions_benchmark:
                counts.benchmark += 1
            if detection.cites_user_outcome:
                counts.user_outcome += 1
            if detection.fired and detection.card_id is not None:
                report.count_claim(message, detection.card_id, detection.confidence, detection.triggers)
                if self.writer is not None:
                    mode = self.modes.get(detection.card_id, "live")
                    self.writer.add_incident(new_incident(self.workspace_id, message, detection, mode,
                                                          private=message.channel_id in self.private))
        self.report.timings.detect += time.perf_counter() - started
        if self.writer is not None and self.writer.full:
            self._flush()

    def _finish_channel(self, conversation: Conversation, days: dict[date, DayCounts]) -> None:
        self.report.count_days(days.items())
        if self.writer is None:
            return
        self.writer.add_channel_balance(conversation.id, days)
        if self.writer.full:
            self._flush()

    def _flush(self) -> None:
        if self.writer is None:
            return
        started = time.perf_counter()
        written: Written = self.writer.flush()
        self.report.timings.store += time.perf_counter() - started
        self.report.stored += written.stored
        self.report.already_stored += written.already_stored
        self.report.balance_days_written += written.balance_days
