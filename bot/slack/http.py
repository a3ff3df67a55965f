"""HTTP mode: the Bolt app behind a production WSGI server (waitress) with /slack/events and /healthz."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(app: App, engine: Engine | None = None) -> WsgiApp:
    """A WSGI callable: POST /slack/events -> Bolt; GET /healthz -> 200 when the database answers; else 404."""
    bolt = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            return bolt(environ, start_response)
        if path == HEALTH_PATH:
            healthy = True
            if engine is not None:
                try:
                    with engine.connect() as connection:
                        connection.execute(text("SELECT 1"))
                except Exception:  # noqa: BLE001 - any database failure means "unhealthy", reported below
                    healthy = False
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"ok\n" if healthy else b"database unavailable\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


def serve(app: App, host: str, port: int, engine: Engine | None = None, threads: int = 16) -> None:
    """Serve until interrupted (waitress: production-grade, pure Python)."""
    from waitress import serve as waitress_serve

    waitress_serve(wsgi_app(app, engine), host=host, port=port, threads=threads, ident="mirage")
