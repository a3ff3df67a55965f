"""The probe routes (path -> WSGI handler) every server of a Mirage process mounts, and the small side server.

`probe_routes` is the one place those paths are wired: the events server of HTTP mode mounts it beside
/slack/events, and `side_server` serves it alone on HEALTH_PORT (Socket Mode, and the worker and scheduler roles).
/metrics goes in the same mapping.

- GET /healthz: liveness. 200 while the process serves; it never touches the database.
- GET /metrics: the process's metrics in Prometheus's text format (bot.metrics).
- GET /readyz: readiness. 200 while the database takes a write and the inbox is under INBOX_READY_LIMIT pending
  rows; 503 otherwise, the body naming the check that failed.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.service.deps import Deps
from bot.service.health import readiness
from bot.slack.http import Routes, StartResponse, WsgiApp
from bot.slack.paths import HEALTHZ_PATH, METRICS_PATH, READYZ_PATH

log = logging.getLogger(__name__)


def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
    return [text.encode() + b"\n"]


def liveness(_environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """200 "ok": the process is serving requests (no database involved)."""
    return _text(start_response, "200 OK", "ok")


def readiness_route(deps: Deps) -> WsgiApp:
    """200 "ready", or 503 with what failed ("database: ...", "inbox: ...")."""

    def ready(_environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        found = readiness(deps)
        if found.ready:
            return _text(start_response, "200 OK", "ready")
        return _text(start_response, "503 Service Unavailable", found.describe())

    return ready


def probe_routes(deps: Deps) -> dict[str, WsgiApp]:
    """The routes every Mirage server mounts: liveness, readiness and the process's Prometheus metrics."""
    return {HEALTHZ_PATH: liveness, READYZ_PATH: readiness_route(deps), METRICS_PATH: deps.metrics.wsgi_app()}


def routes_app(routes: Routes) -> WsgiApp:
    """A WSGI app serving only `routes` (404 for any other path)."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | Any:
        handler = routes.get(str(environ.get("PATH_INFO", "")))
        if handler is None:
            return _text(start_response, "404 Not Found", "not found")
        return handler(environ, start_response)

    return application


def side_server(routes: Routes, host: str, port: int, threads: int = 2) -> Any:
    """A waitress server for `routes` on host:port (not yet running: `.run()` serves until `.close()`)."""
    from waitress.server import create_server

    return create_server(routes_app(routes), host=host, port=port, threads=threads, ident="mirage-probes")
