"""Bad input at the HTTP door never becomes a 500 or a crash: 413 before reading, 400 malformed, 401 bad timestamps
and signatures, nothing of the body in the log; readiness follows whether the database takes a write; any event
JSON at all goes through intake and processing without an exception (hypothesis)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App
from sqlalchemy import event

from bot.bench.support.slack_double import SlackDouble
from bot.runtime.probes import probe_routes
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.slack.http import MAX_BODY_BYTES, wsgi_app
from bot.store import inbox
from bot.store.engine import session_scope

from .signing import SECRET, event_body

SECRET_TEXT = "It scored highest on MMLU, so ship it. SECRETWORDS"


class Unreadable(io.RawIOBase):
    """A request body that must not be read."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


def call(app: App, body: bytes, *, headers: dict[str, str] | None = None, content_type: str = "application/json",
         length: int | None = None, stream: Any = None, deps: Deps | None = None) -> tuple[int, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "SERVER_NAME": "x", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": stream if stream is not None else io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
    }
    for key, value in (headers or {}).items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    status: list[str] = []

    def start_response(code: str, _headers: list[tuple[str, str]], _exc: object = None) -> None:
        status.append(code)

    chunks: Iterable[bytes] = wsgi_app(app, SECRET, probe_routes(deps) if deps else None)(environ, start_response)
    return int(status[0].split()[0]), b"".join(chunks)


def signed(body: bytes) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (which need not be UTF-8)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={digest}"}


def test_an_oversized_body_is_413_before_it_is_read(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """A 50 MB Content-Length is refused with 413 without reading a byte of it, and logged in one short line."""
    with caplog.at_level(logging.DEBUG):
        status, _ = call(app, b"", length=50 * 1024 * 1024, stream=Unreadable())
    assert status == 413
    assert all(len(r.getMessage()) < 200 for r in caplog.records)


def test_a_body_just_under_the_limit_is_read(app: App) -> None:
    """The limit is on size only: a signed event body under MAX_BODY_BYTES gets through (200)."""
    padding = "x" * (MAX_BODY_BYTES - 2000)
    body = event_body({"type": "message", "channel": "C1", "user": "U1", "text": padding, "ts": "1700000000.1"},
                      "EvBIG").encode()
    assert len(body) < MAX_BODY_BYTES
    assert call(app, body, headers=signed(body))[0] == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"a string"', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"type": "event_callback", "text": "\xff\xfe"}', "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
        (b"nothing=here", "application/x-www-form-urlencoded"),
    ],
    ids=["broken", "array", "string", "deep", "bad-utf8", "form-broken", "form-array", "form-empty"],
)
def test_malformed_signed_bodies_are_400(app: App, body: bytes, content_type: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """Correctly signed bodies that are not what Slack sends get 400, never a 500."""
    with caplog.at_level(logging.DEBUG):
        status, _ = call(app, body, headers=signed(body), content_type=content_type)
    assert status == 400
    assert not any("Traceback" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "99999999999999999999", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 3600), "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=wrong"},
    ],
    ids=["none", "word", "exponent", "negative", "huge", "stale", "bad-signature"],
)
def test_bad_timestamps_and_signatures_are_401_and_the_body_is_not_logged(
        app: App, headers: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    """Missing, non-numeric or stale timestamps and wrong signatures are 401; the message text never reaches a log."""
    body = event_body({"type": "message", "channel": "C1", "user": "U1", "text": SECRET_TEXT,
                       "ts": "1700000000.1"}, "Ev1").encode()
    with caplog.at_level(logging.DEBUG):
        status, _ = call(app, body, headers=headers)
    assert status == 401
    assert not any("SECRETWORDS" in r.getMessage() for r in caplog.records)


def test_readiness_follows_writes_and_the_pool_recovers(app: App, deps: Deps, worker: InboxWorker) -> None:
    """While new connections can only read (a SQLite file made read-only), /readyz is 503 and events get 503;
    once the file is writable again the stale read-only connections are dropped and events are stored."""
    read_only = {"on": False}

    @event.listens_for(deps.engine, "connect")
    def _maybe_read_only(dbapi_connection: Any, _record: Any) -> None:
        if read_only["on"]:
            dbapi_connection.execute("PRAGMA query_only=1")

    def health() -> int:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/readyz", "wsgi.input": io.BytesIO(b""),
                   "SERVER_PROTOCOL": "HTTP/1.1"}
        codes: list[str] = []
        wsgi_app(app, SECRET, probe_routes(deps))(environ, lambda code, _h, _e=None: codes.append(code))
        return int(codes[0].split()[0])

    def send(n: int) -> int:
        body = event_body({"type": "message", "channel": "C1", "user": "U1", "text": "MMLU went up",
                           "ts": f"1700000000.{n:06d}"}, f"EvRO{n}").encode()
        return call(app, body, headers=signed(body))[0]

    assert health() == 200
    deps.engine.dispose()
    read_only["on"] = True
    assert health() == 503
    assert send(1) == 503
    read_only["on"] = False  # writable again; the pool still holds the read-only connection
    assert send(1) == 200
    assert health() == 200
    assert worker.drain() == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
POISON = st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d", "\u202e", "<", "&", "@"])
ANY_CHAR = st.characters(exclude_categories=[]) | POISON  # surrogates and NUL included
FIELD = st.one_of(JSON, st.text(alphabet=ANY_CHAR, max_size=40))
AFFIX = st.text(alphabet=ANY_CHAR, max_size=8) | st.sampled_from(["<!channel>", "<!here> hi", "&lt;3", "<@U0BOB>"])
CLAIMS = st.builds(lambda pre, post: f"{pre}It scored highest on MMLU, so ship it.{post}", AFFIX, AFFIX)
VALID_TS = st.builds(lambda sec, micro: f"{sec}.{micro:06d}", st.integers(1_600_000_000, 1_900_000_000),
                     st.integers(0, 999_999))
ARBITRARY = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "app_mention", "reaction_added", ""]) | JSON},
    optional={"ts": VALID_TS | FIELD | st.sampled_from(["inf", "-0", "1e5", "nan"]), "channel": FIELD,
              "user": FIELD, "text": FIELD | CLAIMS, "thread_ts": FIELD, "subtype": FIELD, "deleted_ts": FIELD,
              "bot_id": FIELD, "previous_message": JSON},
)
PLAUSIBLE = st.fixed_dictionaries(  # a real-looking message whose text (and maybe thread) is anything at all
    {"type": st.sampled_from(["message", "app_mention"]), "ts": VALID_TS, "channel": st.just("C0GENERAL"),
     "user": st.sampled_from(["U0ALICE", "U0BOB"]), "text": CLAIMS | FIELD},
    optional={"thread_ts": VALID_TS | FIELD, "subtype": st.sampled_from(["thread_broadcast", "file_share"]) | FIELD},
)
EVENTS = PLAUSIBLE | ARBITRARY


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=EVENTS, envelope=st.dictionaries(st.sampled_from(["team_id", "event_id", "team"]), FIELD, max_size=3))
def test_any_event_json_is_answered_and_processed_without_an_exception(app: App, worker: InboxWorker,
                                                                       slack: SlackDouble, event: dict[str, Any],
                                                                       envelope: dict[str, Any]) -> None:
    """Whatever the signed event holds (odd types, lone surrogates, NULs, inf, `"team": true`), /slack/events
    answers 200 (or 400 for an envelope Bolt cannot read), never a 500; the worker processes what was stored
    without raising; nothing Mirage posts carries a live mention."""
    body: dict[str, Any] = {"type": "event_callback", "api_app_id": "A0MIRAGE", "event_id": "EvH",
                            "event": event, **envelope}
    raw = json.dumps(body).encode()
    status, _ = call(app, raw, headers=signed(raw))
    assert status in (200, 400)
    worker.drain()  # the worker itself must never raise
    with session_scope(worker.deps.engine) as s:
        assert set(inbox.counts(s)) <= {"done"}  # every stored event processed, none retried with an error
    for posted in slack.of("chat.postMessage"):
        assert "<!channel>" not in posted.raw and "<!here>" not in posted.raw


def test_the_direct_path_stores_messages_without_bolt_and_answers_503_when_it_cannot(app: App, deps: Deps,
                                                                                     worker: InboxWorker) -> None:
    """With `intake` (as `mirage run --http` serves), verified message events are stored straight from the HTTP
    layer: 200 once stored, 503 when the inbox cannot be written; a bad signature still never gets that far."""
    from sqlalchemy import text

    from bot.slack.intake import direct_intake

    take = direct_intake(deps, "UMIRAGE")

    def send(n: int, headers: dict[str, str] | None = None) -> int:
        body = event_body({"type": "message", "channel": "C1", "user": "U1", "text": "MMLU went up",
                           "ts": f"1700000001.{n:06d}"}, f"EvDIRECT{n}").encode()
        environ_headers = headers if headers is not None else signed(body)
        status: list[str] = []
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in environ_headers.items()}}
        list(wsgi_app(app, SECRET, deps.writable, intake=take)(environ, lambda code, _h, _e=None: status.append(code)))
        return int(status[0].split()[0])

    assert send(1) == 200
    assert send(2, headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=x"}) == 401
    with deps.engine.begin() as c:
        c.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    assert send(3) == 503
    with deps.engine.begin() as c:
        c.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    assert send(3) == 200
    assert worker.drain() == 2
