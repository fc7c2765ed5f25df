"""Personal access tokens and recovery codes: the ways in that need no Spotify (docs/api.md
"Personal access tokens and recovery codes")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
from teststack.stack import Stack


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _me(stack: Stack, token: str) -> requests.Response:
    return requests.get(
        f"{stack.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _error(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_a_personal_token_is_shown_once_listed_without_its_secret_and_revoked_alone(
    stack: Stack, api: Any
) -> None:
    stack.gateway.wait_synced()
    created = api.post("/api/v1/tokens", {"name": "laptop cron", "expires_in_days": 30})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    token = created.json()
    assert set(token) == {"id", "name", "token", "created_at", "expires_at"}
    assert token["name"] == "laptop cron"
    assert token["token"].startswith("tdp_")
    assert _time(token["expires_at"]) - _time(token["created_at"]) == timedelta(days=30)
    forever = api.post("/api/v1/tokens", {"name": "backup script", "expires_in_days": None})
    assert forever.json()["expires_at"] is None

    assert _me(stack, token["token"]).json()["id"] == "tapedeck-demo"
    listed = api.get("/api/v1/tokens")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    assert sorted(t["name"] for t in listed.json()["items"]) == ["backup script", "laptop cron"]
    assert token["token"] not in listed.text
    assert all(set(t) == {"id", "name", "created_at", "expires_at"} for t in listed.json()["items"])

    gone = api.session.delete(f"{stack.url}/api/v1/tokens/{token['id']}", timeout=10)
    assert gone.status_code == 204
    _error(_me(stack, token["token"]), 401, "invalid_token")
    assert _me(stack, forever.json()["token"]).status_code == 200
    assert api.get("/api/v1/me").status_code == 200
    assert [t["name"] for t in api.get("/api/v1/tokens").json()["items"]] == ["backup script"]


def test_another_users_token_or_an_unknown_one_cannot_be_deleted(
    stack: Stack, api: Any, api_for: Any
) -> None:
    other = api_for(stack, "alice")
    theirs = other.post("/api/v1/tokens", {"name": "alice's", "expires_in_days": None}).json()
    _error(
        api.session.delete(f"{stack.url}/api/v1/tokens/{theirs['id']}", timeout=10),
        404,
        "not_found",
    )
    _error(
        api.session.delete(f"{stack.url}/api/v1/tokens/no-such-token", timeout=10), 404, "not_found"
    )
    assert api.get("/api/v1/tokens").json()["items"] == []
    assert _me(stack, theirs["token"]).json()["id"] == "alice"


def test_bad_token_requests_are_refused(stack: Stack, api: Any) -> None:
    for body in (
        {"name": "", "expires_in_days": None},
        {"name": "x", "expires_in_days": 0},
        {"name": "x", "expires_in_days": "7"},
        {"expires_in_days": 7},
        {"name": "x", "admin": True},
    ):
        _error(api.post("/api/v1/tokens", body), 422, "invalid_request")
    _error(
        requests.post(f"{stack.url}/api/v1/tokens", json={"name": "x"}, timeout=10),
        401,
        "invalid_token",
    )
    _error(_me(stack, "tdp_" + "x" * 40), 401, "invalid_token")


def _recover(stack: Stack, code: str) -> requests.Response:
    return requests.post(f"{stack.url}/auth/recovery", json={"code": code}, timeout=10)


def test_a_recovery_code_logs_in_once_and_a_new_set_replaces_the_old(
    stack: Stack, api: Any
) -> None:
    first = api.post("/api/v1/recovery-codes")
    assert first.status_code == 201
    assert first.headers["cache-control"] == "no-store"
    codes = first.json()["codes"]
    assert len(codes) == len(set(codes)) == 10

    login = _recover(stack, codes[0])
    assert login.status_code == 200, login.text
    assert login.headers["cache-control"] == "no-store"
    body = login.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["user"] == stack.emulator.user("tapedeck-demo").profile()
    assert _me(stack, body["token"]).json()["id"] == "tapedeck-demo"
    _error(_recover(stack, codes[0]), 401, "invalid_token")

    replaced = api.post("/api/v1/recovery-codes").json()["codes"]
    _error(_recover(stack, codes[1]), 401, "invalid_token")
    assert _recover(stack, replaced[0]).status_code == 200


def test_guessing_recovery_codes_is_met_with_429(stack: Stack, api: Any) -> None:
    code = api.post("/api/v1/recovery-codes").json()["codes"][0]
    for attempt in range(100):
        answer = _recover(stack, f"WRONG-{attempt:04d}-AAAA-BBBB")
        if answer.status_code == 429:
            break
        _error(answer, 401, "invalid_token")
    _error(answer, 429, "rate_limited")
    assert int(answer.headers["retry-after"]) > 0
    # Even the right code waits: guessing must not go on with a real one among the guesses.
    _error(_recover(stack, code), 429, "rate_limited")
