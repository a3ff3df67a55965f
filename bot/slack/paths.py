"""The HTTP paths Mirage serves, named once: the servers route on them and the deploy files' probes are checked
against them."""

from __future__ import annotations

EVENTS_PATH = "/slack/events"  # Slack's Events API, interactivity and slash commands
INSTALL_PATH = "/slack/install"  # OAuth: the "Add to Slack" page (multi-workspace installs)
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"  # OAuth: Slack sends the installing user back here
HEALTHZ_PATH = "/healthz"  # liveness: the process serves
READYZ_PATH = "/readyz"  # readiness: the database takes writes and the inbox is under its limit
METRICS_PATH = "/metrics"  # Prometheus text format

PROBE_PATHS = (HEALTHZ_PATH, READYZ_PATH, METRICS_PATH)
