"""`mirage run --role web|worker|scheduler|all`: which parts a process runs, what each role needs, and the run.

- web: receives and acknowledges Slack's events (HTTP or Socket Mode), storing them in the inbox only;
- worker: processes the inbox (several processes per database: rows are claimed with SKIP LOCKED);
- scheduler: the weekly digest and the retention purge (one is enough; two stay correct);
- all: the three in one process (the default; the only role SQLite supports).
Every role serves /healthz and /readyz: on the events server in HTTP mode, else on a side server on HEALTH_PORT.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from bot.runtime.probes import probe_routes, side_server
from bot.runtime.scheduler import start_scheduler
from bot.runtime.web import serve_http, serve_socket_mode
from bot.runtime.worker import start_worker
from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.serving import Slack

log = logging.getLogger("mirage")

Role = Literal["web", "worker", "scheduler", "all"]
ROLES: tuple[str, ...] = get_args(Role)


class Part(Protocol):
    def stop(self, grace: float, /) -> bool: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """What one process runs."""

    role: Role
    web: bool
    worker: bool
    scheduler: bool


def plan(role: Role) -> Plan:
    return Plan(role, web=role in ("web", "all"), worker=role in ("worker", "all"),
                scheduler=role in ("scheduler", "all"))


def role_problem(role: str, settings: Settings, http: bool, console: bool) -> str | None:
    """Why this role cannot start with these settings (one line), or None."""
    if role not in ROLES:
        return f"--role must be one of {', '.join(ROLES)}, not {role!r}"
    if role != "all":
        if settings.database_url.startswith("sqlite"):
            return (f"--role {role} needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...): SQLite supports one "
                    "process, run --role all")
        if console or not (settings.has_slack_tokens or settings.uses_oauth):
            return f"--role {role} needs SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET (console mode is --role all)"
    if http and role in ("worker", "scheduler"):
        return f"--http serves Slack's events: it is for --role web or all, not {role}"
    return None


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def serve(role: Role, deps: Deps, slack: Slack, *, http: bool, host: str, port: int) -> None:
    """Run the parts of `role` until SIGTERM (or Ctrl-C); then stop them, giving rows in hand
    SHUTDOWN_GRACE_SECONDS. `slack` holds the Bolt app (the web part), the workspaces' clients (worker, scheduler)
    and the direct intake (HTTP)."""
    settings = deps.settings
    parts = plan(role)
    running: list[Part] = []
    if parts.worker:
        running.append(start_worker(deps, slack.teams, settings))
    if parts.scheduler:
        jobs = start_scheduler(deps, slack.teams)
        if jobs is not None:
            running.append(jobs)
    routes = probe_routes(deps)
    signal.signal(signal.SIGTERM, _on_sigterm)
    probes = None
    log.info("Mirage role %s: %s", role, ", ".join(n for n, on in (("web", parts.web), ("worker", parts.worker),
                                                                    ("scheduler", parts.scheduler)) if on))
    try:
        if not (parts.web and http) and settings.health_port:
            probes = side_server(routes, settings.http_host, settings.health_port)
            log.info("Mirage probes on http://%s:%s/healthz and /readyz", settings.http_host, probes.effective_port)
        if parts.web and http:
            serve_http(slack, settings, host, port, routes)
        elif parts.web:
            if probes is not None:
                threading.Thread(target=probes.run, name="mirage-probes", daemon=True).start()
            serve_socket_mode(slack.app, settings)
        elif probes is not None:
            probes.run()  # the side server is all this process serves: it holds the main thread until SIGTERM
        else:
            threading.Event().wait()  # no port to serve (HEALTH_PORT=0): wait for SIGTERM
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        log.info("Mirage stopping: no new events; finishing the ones in hand")
        if probes is not None:
            probes.close()
        finished = all([part.stop(settings.shutdown_grace_seconds) for part in reversed(running)])
        log.info("Mirage stopped (%s)", "all work finished" if finished else "unfinished rows stay in the inbox")
