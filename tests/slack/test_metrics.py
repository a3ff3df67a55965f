"""GET /metrics on the HTTP events server: Prometheus text that moves as signed events arrive and are processed
(events, intake, claims, the policy's actions, feedback, Slack API calls and errors by method, handling latency,
digest runs), the inbox depth and age read from the store at scrape time, and one registry per app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from slack_bolt import App
from sqlalchemy import text, update
from sqlmodel import col
from werkzeug.test import Client

from bot.bench.support.slack_double import BOT_USER, SlackDouble, api_error
from bot.catalog import Catalog
from bot.detection import Detector
from bot.jobs.digest import post_due_digests
from bot.metrics import Metrics, label
from bot.runtime.probes import probe_routes
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.slack.http import wsgi_app
from bot.slack.intake import direct_intake
from bot.slack.paths import EVENTS_PATH, METRICS_PATH
from bot.slack.posting import digest_poster
from bot.store.channels import set_digest
from bot.store.engine import session_scope
from bot.store.models import InboxItem

from .conftest import Driver, new_ts
from .signing import event_body, sign

CLAIM = "It scored highest on MMLU, so it should be the best choice."
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Client) -> Samples:
    """GET /metrics, parsed by prometheus_client's own parser: {(sample name, sorted labels): value}."""
    response = client.get(METRICS_PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def http(app: App, deps: Deps) -> Client:
    """The production WSGI app (signature checks, the direct intake path, /metrics) behind werkzeug's test client."""
    return Client(wsgi_app(app, deps.settings.slack_signing_secret, probe_routes(deps),
                           intake=direct_intake(deps, BOT_USER)))


def post_event(client: Client, event: dict[str, object]) -> int:
    body = event_body(event, f"Ev{new_ts()}")
    response = client.post(EVENTS_PATH, data=body, content_type="application/json", headers=sign(body))
    return response.status_code


def message(text_: str, **extra: object) -> dict[str, object]:
    return {"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": text_, "ts": new_ts(),
            "channel_type": "channel", **extra}


def test_metrics_move_when_events_arrive(app: App, deps: Deps, worker: InboxWorker, slack: SlackDouble) -> None:
    """A signed claim, a plain message and an App Home open, each through the HTTP server: events by type, intake
    outcomes, the claim by card and tier, the reply action, the Web API calls by method and one latency sample."""
    client = http(app, deps)
    before = scrape(client)
    assert post_event(client, message(CLAIM)) == 200
    assert post_event(client, message("lunch at noon?")) == 200
    assert post_event(client, {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}) == 200
    assert worker.drain() == 1  # the claim; plain chatter is done at intake
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("mirage_events_received_total", type="message") == 2
    assert moved("mirage_events_received_total", type="app_home_opened") == 1
    assert moved("mirage_intake_total", outcome="stored") == 2
    assert moved("mirage_claims_total", card="FM-16", tier="reply") == 1
    assert moved("mirage_replies_total", action="reply") == 1
    assert moved("mirage_slack_api_calls_total", method="chat.postMessage") == len(slack.of("chat.postMessage")) == 1
    assert moved("mirage_slack_api_calls_total", method="views.publish") == 1  # Bolt's per-request client counts
    assert moved("mirage_event_handling_seconds_count", kind="message") == 1
    assert 0 < moved("mirage_event_handling_seconds_sum", kind="message") < 60
    assert value(after, "mirage_slack_api_errors_total", method="chat.postMessage", error="channel_not_found") == 0


def test_a_slack_api_error_is_counted_by_method(app: App, deps: Deps, worker: InboxWorker,
                                                slack: SlackDouble) -> None:
    """Slack answering chat.postMessage with channel_not_found counts one call and one error for that method; the
    claim is still counted (the error is kept on the incident)."""
    slack.script("chat.postMessage", api_error("channel_not_found"))
    client = http(app, deps)
    assert post_event(client, message(CLAIM)) == 200
    worker.drain()
    samples = scrape(client)
    assert value(samples, "mirage_slack_api_errors_total", method="chat.postMessage", error="channel_not_found") == 1
    assert value(samples, "mirage_slack_api_calls_total", method="chat.postMessage") == 1
    assert value(samples, "mirage_claims_total", card="FM-16", tier="reply") == 1


def test_inbox_depth_and_age_are_read_at_scrape_time(app: App, deps: Deps, worker: InboxWorker) -> None:
    """Stored, unprocessed events show as pending rows, with the age of the oldest; processing empties both."""
    client = http(app, deps)
    for _ in range(3):
        assert post_event(client, message(CLAIM)) == 200
    with session_scope(deps.engine) as s:  # the oldest arrived 90 s ago
        oldest = s.scalar(text("SELECT min(id) FROM inbox"))
        s.execute(update(InboxItem).where(col(InboxItem.id) == oldest)
                  .values(received_at=datetime.now(UTC) - timedelta(seconds=90)))
    waiting = scrape(client)
    assert value(waiting, "mirage_inbox_rows", state="pending") == 3
    assert value(waiting, "mirage_inbox_rows", state="working") == 0
    assert 89 < value(waiting, "mirage_inbox_oldest_pending_age_seconds") < 300
    worker.drain()
    done = scrape(client)
    assert value(done, "mirage_inbox_rows", state="pending") == 0
    assert value(done, "mirage_inbox_oldest_pending_age_seconds") == 0


def test_a_scrape_survives_a_missing_inbox(app: App, deps: Deps) -> None:
    """When the store cannot be read the scrape still answers 200, with the counters and without inbox samples."""
    client = http(app, deps)
    assert value(scrape(client), "mirage_inbox_rows", state="pending") == 0  # there, and zero
    assert ("mirage_inbox_rows", (("state", "pending"),)) in scrape(client)
    deps.metrics.event_received("message")
    with deps.engine.begin() as c:
        c.execute(text("DROP TABLE inbox"))
    samples = scrape(client)
    assert ("mirage_inbox_rows", (("state", "pending"),)) not in samples
    assert value(samples, "mirage_events_received_total", type="message") == 1


def test_an_event_the_inbox_cannot_take_is_counted_unavailable(app: App, deps: Deps) -> None:
    """An event refused with 503 (the inbox cannot be written) is counted received and `unavailable`, never
    `stored`; Slack's retry of a stored event is counted `duplicate`."""
    client = http(app, deps)
    event = message(CLAIM)
    body = event_body(event, "EvTWICE")
    for _ in range(2):
        assert client.post(EVENTS_PATH, data=body, content_type="application/json", headers=sign(body)).status_code \
            == 200
    with deps.engine.begin() as c:
        c.execute(text("DROP TABLE inbox"))
    assert post_event(client, message(CLAIM)) == 503
    samples = scrape(client)
    assert value(samples, "mirage_events_received_total", type="message") == 3
    assert value(samples, "mirage_intake_total", outcome="stored") == 1
    assert value(samples, "mirage_intake_total", outcome="duplicate") == 1
    assert value(samples, "mirage_intake_total", outcome="unavailable") == 1


def test_feedback_is_counted_by_verdict(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A click on 'Not relevant' under a reply counts one not_relevant verdict, and its chat.update call."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0]
    incident_id, reply_ts = str(post.body["blocks"][4]["elements"][1]["value"]), str(post.answer["ts"])
    assert driver.click("mirage_not_relevant", incident_id, reply_ts).status == 200
    samples = scrape(http(driver.app, deps))
    assert value(samples, "mirage_feedback_total", verdict="not_relevant") == 1
    assert value(samples, "mirage_feedback_total", verdict="helpful") == 0
    assert value(samples, "mirage_slack_api_calls_total", method="chat.update") == 1


def test_digest_runs_are_counted_by_outcome(slack: SlackDouble, deps: Deps, catalog: Catalog) -> None:
    """One digest posted and one refused by Slack (is_archived): one posted run, one failed run."""
    with session_scope(deps.engine) as s:
        set_digest(s, "T1", "C0DIGEST", True)
        set_digest(s, "T1", "C0OLD", True)
    slack.script("chat.postMessage", api_error("is_archived"))
    from bot.slack.client import build_client

    poster = digest_poster(build_client(deps.settings, deps.metrics), deps)
    post_due_digests(deps.engine, catalog, deps.settings, poster, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    metrics = deps.metrics
    assert metrics.registry.get_sample_value("mirage_digest_runs_total", {"outcome": "posted"}) == 1
    assert metrics.registry.get_sample_value("mirage_digest_runs_total", {"outcome": "failed"}) == 1


def test_each_app_counts_on_its_own_registry(deps: Deps, detector: Detector, catalog: Catalog) -> None:
    """Two Deps in one process (two apps under test) never share counts, and building them registers nothing
    globally (no duplicate-metric errors)."""
    other = Deps(engine=deps.engine, detector=detector, catalog=catalog, settings=deps.settings)
    deps.metrics.event_received("message")
    assert deps.metrics.registry.get_sample_value("mirage_events_received_total", {"type": "message"}) == 1
    assert other.metrics.registry.get_sample_value("mirage_events_received_total", {"type": "message"}) is None
    assert Metrics().registry is not Metrics().registry


def test_label_values_from_outside_are_bounded() -> None:
    """An odd event type or error code becomes 'other', so input cannot grow the series without limit."""
    assert label("app_home_opened") == "app_home_opened"
    assert label("chat.postMessage") == "chat.postMessage"
    assert label("x" * 65) == "other"
    assert label("<script>") == "other"
    assert label(None) == "other"
    assert label(["message"]) == "other"
