"""deploy/healthcheck.py, the image's HEALTHCHECK and the compose healthchecks: exit 0 only when the probe path
answers 200 on the port the named setting holds, 1 otherwise, 2 on bad usage."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.slack.paths import HEALTHZ_PATH, READYZ_PATH

from .scripts import load_script

healthcheck = load_script("healthcheck")


class Probes(BaseHTTPRequestHandler):
    """/healthz answers 200, /readyz 503 (a live process whose database does not take writes), anything else 404."""

    def do_GET(self) -> None:
        status = {HEALTHZ_PATH: 200, READYZ_PATH: 503}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Probes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_passes_on_200_and_fails_on_503(server_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """GET /healthz answering 200 passes; /readyz answering 503 and an unknown path (404) fail."""
    monkeypatch.setenv("HEALTH_PORT", str(server_port))
    assert healthcheck.main([HEALTHZ_PATH, "--port-from", "HEALTH_PORT"]) == 0
    assert healthcheck.main([READYZ_PATH, "--port-from", "HEALTH_PORT"]) == 1
    assert healthcheck.main(["/nope", "--port-from", "HEALTH_PORT"]) == 1


def test_default_tries_the_side_port_then_the_http_port(server_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no --port-from (the image's HEALTHCHECK), a server on HTTP_PORT passes when HEALTH_PORT has none, and
    nothing listening on either fails."""
    monkeypatch.setenv("HEALTH_PORT", str(closed_port()))
    monkeypatch.setenv("HTTP_PORT", str(server_port))
    assert healthcheck.main([HEALTHZ_PATH]) == 0
    assert healthcheck.main([HEALTHZ_PATH, "--port-from", "HEALTH_PORT"]) == 1
    monkeypatch.setenv("HTTP_PORT", str(closed_port()))
    assert healthcheck.main([]) == 1


def test_bad_usage_is_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown variable, a missing one after --port-from or a port that is not a number is a usage error."""
    assert healthcheck.main([HEALTHZ_PATH, "--port-from", "DATABASE_URL"]) == 2
    assert healthcheck.main([HEALTHZ_PATH, "--port-from"]) == 2
    monkeypatch.setenv("HTTP_PORT", "web")
    assert healthcheck.main([HEALTHZ_PATH, "--port-from", "HTTP_PORT"]) == 2
    assert "HTTP_PORT is not a port number" in capsys.readouterr().err
