"""One HTTP request to a server on 127.0.0.1 (a Mirage process, the Slack double), for the bench and the tests."""

from __future__ import annotations

import http.client


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 10.0) -> tuple[int, bytes]:
    """(status, body) of one request; (0, b"") when nothing answered (not listening, reset, timed out)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException):
        return 0, b""


def get_json(port: int, path: str) -> dict[str, object]:
    """GET `path` and decode its JSON object; RuntimeError when the server does not answer 200."""
    import json

    status, body = request(port, "GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} on port {port} answered {status or 'nothing'}")
    data: dict[str, object] = json.loads(body)
    return data
