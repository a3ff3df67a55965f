"""Container health check: `python healthcheck.py [PATH] [--port-from VAR ...]`, exit 0 when GET PATH answers 200.

PATH is one of bot.slack.paths.PROBE_PATHS (default /healthz). The port is read from the named environment variables
(default: HEALTH_PORT, the side port of Socket Mode, worker and scheduler, then HTTP_PORT, where `--http` serves);
the first port that answers 200 makes the check pass. Standard library only: the image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORTS = {"HEALTH_PORT": 3001, "HTTP_PORT": 3000}  # the settings' defaults (tests/deploy checks them)
TIMEOUT_SECONDS = 3.0


def ok(path: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT_SECONDS) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    path, variables = "/healthz", list(DEFAULT_PORTS)
    if argv and not argv[0].startswith("--"):
        path, argv = argv[0], argv[1:]
    if argv:
        if argv[0] != "--port-from" or len(argv) < 2 or any(v not in DEFAULT_PORTS for v in argv[1:]):
            print(f"usage: healthcheck.py [PATH] [--port-from {' '.join(DEFAULT_PORTS)}]", file=sys.stderr)
            return 2
        variables = argv[1:]
    for variable in variables:
        try:
            port = int(os.environ.get(variable) or DEFAULT_PORTS[variable])
        except ValueError:
            print(f"healthcheck: {variable} is not a port number", file=sys.stderr)
            return 2
        if ok(path, port):
            return 0
    print(f"healthcheck: GET {path} did not answer 200 on {', '.join(variables)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
