"""Mirage's Prometheus metrics, on a registry of their own (one per `Metrics`, made at start-up, never at import).

Each process (each `Deps`) owns one `Metrics`; tests that build several apps in one process get separate counts.
The services and the Slack layer count here; detection, policy and digest building never import this module. The
inbox gauges are read from the store when Prometheus scrapes (`watch_inbox`), not kept up to date on every write.
`wsgi_app()` is the GET /metrics handler, ready to mount on any WSGI server.

Label values that come from outside (event types, Slack error codes) are bounded by `label`, so a stream of odd
input cannot grow the number of series without limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

NAMESPACE = "mirage"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
LABEL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def label(value: object, default: str = "other") -> str:
    """`value` as a label value when it looks like an identifier (at most 64 of [A-Za-z0-9_.:-]), else `default`."""
    text = str(value) if value is not None else ""
    return text if LABEL.match(text) else default


@dataclass(frozen=True, slots=True)
class InboxState:
    """What the inbox holds right now: rows per unfinished state, and how long the oldest pending row has waited."""

    pending: int
    working: int
    failed: int
    oldest_pending_seconds: float


class InboxCollector:
    """Gauges read at scrape time from `read()` (one cheap query); a database that does not answer gives no
    inbox samples and a warning, never a failed scrape."""

    def __init__(self, read: Callable[[], InboxState]) -> None:
        self.read = read

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            state = self.read()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database is away
            log.warning("metrics: inbox depth not read (%s)", type(exc).__name__)
            return
        yield from self._families(state)

    @staticmethod
    def _families(state: InboxState | None = None) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily(f"{NAMESPACE}_inbox_rows", "Inbox rows not done, by state (pending: waiting to be "
                                 "processed; working: claimed by a worker; failed: given up after retries).",
                                 labels=["state"])
        age = GaugeMetricFamily(f"{NAMESPACE}_inbox_oldest_pending_age_seconds",
                                "Seconds since the oldest pending inbox row was received (0 when none is pending).")
        if state is not None:
            rows.add_metric(["pending"], state.pending)
            rows.add_metric(["working"], state.working)
            rows.add_metric(["failed"], state.failed)
            age.add_metric([], state.oldest_pending_seconds)
        yield rows
        yield age


class Metrics:
    """Every metric Mirage exports, registered on `registry` (a new one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.events_received = Counter(
            "events_received", "Slack events received, by event type (message, app_mention, app_home_opened, ...).",
            ["type"], namespace=NAMESPACE, registry=r)
        self.intake = Counter(
            "intake", "Message and mention events at intake, by outcome: stored (new inbox row), duplicate (a retry "
            "or second event id of a stored message), skipped (nothing to do: bots, edits, joins...), unavailable "
            "(the inbox could not be written: answered 503, Slack retries).", ["outcome"], namespace=NAMESPACE,
            registry=r)
        self.claims = Counter(
            "claims", "Claims detected in messages, by card and tier (reply or probable).", ["card", "tier"],
            namespace=NAMESPACE, registry=r)
        self.replies = Counter(
            "replies", "What the reply policy decided for each claim, by action (reply, ephemeral, reaction, log, "
            "none).", ["action"], namespace=NAMESPACE, registry=r)
        self.feedback = Counter(
            "feedback", "Feedback button clicks stored, by verdict.", ["verdict"], namespace=NAMESPACE, registry=r)
        self.slack_calls = Counter(
            "slack_api_calls", "Slack Web API calls made (each counted once, after slack_sdk's own retries), by "
            "method.", ["method"], namespace=NAMESPACE, registry=r)
        self.slack_errors = Counter(
            "slack_api_errors", "Slack Web API calls that failed, by method and error (Slack's error code, or the "
            "exception type for a network failure).", ["method", "error"], namespace=NAMESPACE, registry=r)
        self.handling = Histogram(
            "event_handling_seconds", "Seconds from an event being stored in the inbox to its processing finishing "
            "(detection, policy, store and the Slack calls), by row kind (message, deleted).", ["kind"],
            namespace=NAMESPACE, registry=r, buckets=LATENCY_BUCKETS)
        self.inbox_errors = Counter(
            "inbox_row_errors", "Inbox rows whose processing failed, by outcome: retry (put back for later) or failed "
            "(given up, kept as failed).", ["outcome"], namespace=NAMESPACE, registry=r)
        self.digest_runs = Counter(
            "digest_runs", "Weekly digest posts, by outcome (posted, failed).", ["outcome"], namespace=NAMESPACE,
            registry=r)
        self._inbox: InboxCollector | None = None
        self._wsgi: WsgiApp | None = None

    # ---- counting ------------------------------------------------------------------------------------------

    def event_received(self, kind: object) -> None:
        self.events_received.labels(label(kind)).inc()

    def slack_call(self, method: str, error: object = None) -> None:
        name = label(method)
        self.slack_calls.labels(name).inc()
        if error is not None:
            self.slack_errors.labels(name, label(error, "error")).inc()

    def handled(self, kind: str, seconds: float) -> None:
        self.handling.labels(label(kind)).observe(max(0.0, seconds))

    # ---- scrape-time gauges and the endpoint ---------------------------------------------------------------

    def watch_inbox(self, read: Callable[[], InboxState]) -> None:
        """Report the inbox gauges from `read()` at each scrape (once per registry; a second call replaces it)."""
        if self._inbox is not None:
            self.registry.unregister(self._inbox)
        self._inbox = InboxCollector(read)
        self.registry.register(self._inbox)

    def wsgi_app(self) -> WsgiApp:
        """The GET /metrics handler (Prometheus text format, gzip when asked) for this registry."""
        if self._wsgi is None:
            self._wsgi = make_wsgi_app(self.registry)
        return self._wsgi
