"""What the gateway tells its operator about each request: Prometheus metrics labelled by
the route's template (`/docs` and `/openapi.json` included, unknown paths `unmatched`), and
one access-log line per request with method, route template, status, duration and the user
once authenticated, never a token or a query string."""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from teststack.stack import Stack

ACCESS = "gateway.access"


def _requests_counted(url: str) -> dict[tuple[str, str, str], float]:
    """tapedeck_http_requests_total by (method, route, status), as /metrics serves it."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    counted: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "tapedeck_http_requests":
            continue
        for sample in family.samples:
            if sample.name == "tapedeck_http_requests_total":
                labels = sample.labels
                counted[(labels["method"], labels["route"], labels["status"])] = sample.value
    return counted


def test_every_served_route_is_counted_by_its_template_and_unknown_paths_as_unmatched(
    stack: Stack, api: Any
) -> None:
    playlist_id = "0000000000000000000000"
    asked = {
        ("GET", "/docs", "200"): f"{stack.url}/docs",
        ("GET", "/openapi.json", "200"): f"{stack.url}/openapi.json",
        ("GET", "/docs/init.js", "200"): f"{stack.url}/docs/init.js",
        ("GET", "/docs/{asset}", "200"): f"{stack.url}/docs/swagger-ui.css",
        ("GET", "/healthz", "200"): f"{stack.url}/healthz",
        ("GET", "/api/v1/playlists/{playlist_id}", "404"): (
            f"{stack.url}/api/v1/playlists/{playlist_id}"
        ),
        ("GET", "unmatched", "404"): f"{stack.url}/no/such/{playlist_id}",
    }
    before = _requests_counted(stack.url)
    for url in asked.values():
        api.session.get(url, timeout=10)
    # Refused before routing (the body is over the limit): still counted under its route.
    too_large = api.session.post(
        f"{stack.url}/api/v1/library/saves", data=b"0" * (2 * 1024 * 1024), timeout=30
    )
    assert too_large.status_code == 413
    asked[("POST", "/api/v1/library/saves", "413")] = ""
    after = _requests_counted(stack.url)
    for key in asked:
        assert after.get(key, 0) - before.get(key, 0) == 1, key
    # A raw path never becomes a label: ids would grow the label set without bound.
    assert not any(playlist_id in route for _, route, _ in after)


def _access_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[logging.LogRecord]:
    """The access-log records of the test's requests: a line is written once the answer
    has gone out, so the last may trail the client by a moment."""
    deadline = time.monotonic() + 5
    while True:
        lines = [
            r
            for r in caplog.records
            if r.name == ACCESS and not str(getattr(r, "route", "")).startswith("/auth/")
        ]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_one_access_line_per_request_with_its_route_status_duration_and_user(
    stack: Stack, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = api.session.headers["Authorization"].removeprefix("Bearer ")
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    caplog.set_level(logging.INFO)
    bearer = {"Authorization": f"Bearer {token}"}
    base = stack.url
    # A token in a query string (where a careless client might put one) and in headers.
    requests.get(f"{base}/api/v1/tracks?limit=5&access_token={token}", headers=bearer, timeout=10)
    requests.get(f"{base}/healthz?token={token}", timeout=10)
    requests.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}x"}, timeout=10)
    requests.get(f"{base}/no/such/path?token={token}", timeout=10)
    requests.post(f"{base}/api/v1/library/saves", data=b"{", headers=bearer, timeout=10)

    lines = _access_lines(caplog, 5)
    seen = [
        (r.method, r.route, r.status, getattr(r, "user_id", None))  # type: ignore[attr-defined]
        for r in lines
    ]
    assert seen == [
        ("GET", "/api/v1/tracks", 200, user_id),
        ("GET", "/healthz", 200, None),
        ("GET", "/api/v1/me", 401, None),
        ("GET", "unmatched", 404, None),
        # The body is refused before the token is checked: no user to name.
        ("POST", "/api/v1/library/saves", 400, None),
    ]
    for record in lines:
        duration = record.duration_ms  # type: ignore[attr-defined]
        assert isinstance(duration, float) and duration >= 0
    # No record of the gateway (or anything else in this process) holds the token. Left
    # out: uvicorn's own access log, which `python -m gateway` turns off (the system test
    # reads the real gateway.log), but which pytest's log capture switches on here by giving
    # that non-propagating logger a handler of its own.
    for record in caplog.records:
        if record.name == "uvicorn.access":
            continue
        assert token not in record.getMessage()
        assert not any(token in str(value) for value in vars(record).values()), record.name
