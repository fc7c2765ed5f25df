"""Every kind of answer of the whole stack carries the security headers a browser acts on:
successes, reads of a saved library, a save's event stream, the login's redirect, /docs, and
the errors (401, 404, 413). The gateway behind plain http sends no HSTS (the https case, and
/metrics, are in gateway/tests/test_headers.py)."""

from __future__ import annotations

from typing import Any

import requests
from teststack.stack import Stack


def _assert_secured(answer: requests.Response, what: str) -> None:
    headers = answer.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "no-referrer", what
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert policy.startswith(("default-src 'self'", "default-src 'none'")), what
    assert "Strict-Transport-Security" not in headers, what


def test_every_kind_of_answer_carries_the_security_headers(stack: Stack, api: Any) -> None:
    url = stack.url
    answers: dict[str, requests.Response] = {}
    answers["healthz"] = requests.get(f"{url}/healthz", timeout=10)
    answers["me"] = api.get("/api/v1/me")
    assert answers["me"].status_code == 200

    save = api.start(kinds=["artists"])
    with api.session.get(
        f"{url}/api/v1/library/saves/{save['id']}/events", stream=True, timeout=60
    ) as events:
        assert events.status_code == 200
        assert events.headers["content-type"].startswith("text/event-stream")
        answers["events"] = events
        assert any(line.startswith("event: ") for line in events.iter_lines(decode_unicode=True))
    assert api.wait(save["id"])["status"] == "succeeded"
    answers["read"] = api.get(f"/api/v1/library/saves/{save['id']}")
    assert answers["read"].status_code == 200
    assert answers["read"].json()["status"] == "succeeded"

    answers["no token"] = requests.get(f"{url}/api/v1/me", timeout=10)
    answers["bad token"] = requests.get(
        f"{url}/api/v1/me", headers={"Authorization": "Bearer not.a.token"}, timeout=10
    )
    for name in ("no token", "bad token"):
        assert answers[name].status_code == 401
        assert answers[name].json()["error"]["code"] == "invalid_token"
    answers["not found"] = api.get("/api/v1/playlists/0000000000000000000000")
    assert answers["not found"].status_code == 404
    answers["too large"] = api.session.post(
        f"{url}/api/v1/library/saves", data=b"0" * (2 * 1024 * 1024), timeout=30
    )
    assert answers["too large"].status_code == 413
    assert answers["too large"].json()["error"]["code"] == "payload_too_large"

    answers["login"] = requests.get(f"{url}/auth/login", allow_redirects=False, timeout=10)
    assert answers["login"].status_code == 302
    answers["docs"] = requests.get(f"{url}/docs", timeout=10)
    assert answers["docs"].status_code == 200
    answers["start page"] = requests.get(f"{url}/", timeout=10)
    assert answers["start page"].status_code == 200

    for name, answer in answers.items():
        _assert_secured(answer, name)
