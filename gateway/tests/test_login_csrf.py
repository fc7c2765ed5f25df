"""A login no one can forge, through the gateway over HTTP: the login cookie, login CSRF
refused, pending logins capped with 429, and no auth answer kept by a cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI
from teststack.auth import start_auth
from teststack.gateway import RunningGateway, gateway_settings
from teststack.login import follow_to_callback
from teststack.running import Running

from spotify_emulator import Emulator

JSON = {"Accept": "application/json"}


@dataclass
class Stack:
    emulator: Emulator
    auth: Running
    gateway: RunningGateway

    @property
    def url(self) -> str:
        return self.gateway.url


@pytest.fixture
def stack(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Stack]:
    auth = start_auth(
        emulator, sqlite_database_url, tmp_path, internal_token, login_pending_per_client=4
    )
    gateway = RunningGateway(
        gateway_settings({"auth": auth.address}, data_dir=tmp_path), internal_token
    ).start()
    yield Stack(emulator, auth, gateway)
    gateway.stop()
    auth.stop()


def _login_cookie(answer: requests.Response) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(answer.headers["set-cookie"])
    assert "tapedeck_login" in cookie
    return cookie


def _assert_refused(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.headers["cache-control"] == "no-store"


def test_login_sets_a_short_lived_http_only_lax_cookie_and_is_not_cached(stack: Stack) -> None:
    answer = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["cache-control"] == "no-store"
    morsel = _login_cookie(answer)["tapedeck_login"]
    assert len(morsel.value) >= 32
    assert morsel["httponly"] and morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/auth" and morsel["max-age"] == "600"
    assert not morsel["secure"]  # the public URL is http here


def test_the_login_cookie_is_secure_when_the_public_url_is_https(stack: Stack) -> None:
    app = stack.gateway.server.config.app
    assert isinstance(app, FastAPI)
    app.state.settings = app.state.settings.model_copy(
        update={"public_url": "https://tapedeck.example"}
    )
    answer = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
    assert _login_cookie(answer)["tapedeck_login"]["secure"]


def test_a_callback_without_the_login_cookie_is_refused(stack: Stack) -> None:
    callback = follow_to_callback(stack.url, "alice")  # the cookie stays in another browser
    _assert_refused(requests.get(callback, headers=JSON, timeout=10), 400, "bad_request")


def test_a_victim_opening_the_attackers_callback_is_not_logged_in(stack: Stack) -> None:
    attacker, victim = requests.Session(), requests.Session()
    callback = follow_to_callback(stack.url, "mallory", browser=attacker)
    follow_to_callback(stack.url, "alice", browser=victim)  # the victim's own login cookie
    refused = victim.get(callback, headers=JSON, timeout=10)
    _assert_refused(refused, 400, "bad_request")
    # Refused once, spent: the attacker cannot use it either.
    _assert_refused(attacker.get(callback, headers=JSON, timeout=10), 400, "bad_request")


def test_the_callback_answers_are_not_cached_and_clear_the_login_cookie(stack: Stack) -> None:
    for headers, status in ((JSON, 200), ({}, 302)):
        browser = requests.Session()
        callback = follow_to_callback(stack.url, "alice", browser=browser)
        answer = browser.get(callback, headers=headers, allow_redirects=False, timeout=10)
        assert answer.status_code == status, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert _login_cookie(answer)["tapedeck_login"]["max-age"] == "0"
        assert "tapedeck_login" not in browser.cookies


def test_errors_of_the_login_routes_are_not_cached(stack: Stack) -> None:
    hostile = requests.get(
        f"{stack.url}/auth/login",
        params={"return_to": "https://elsewhere.example"},
        allow_redirects=False,
        timeout=10,
    )
    _assert_refused(hostile, 400, "bad_request")
    oversized = requests.get(f"{stack.url}/auth/callback", params={"state": "s" * 5000}, timeout=10)
    _assert_refused(oversized, 422, "invalid_request")


def test_pending_logins_from_one_address_beyond_the_cap_get_429(stack: Stack) -> None:
    for _ in range(4):
        started = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
        assert started.status_code == 302
    refused = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
    _assert_refused(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["retry-after"]) <= 600
    assert "set-cookie" not in refused.headers


def test_a_login_finishing_while_spotify_is_down_answers_503_not_a_spent_state(
    stack: Stack,
) -> None:
    # The code exchange cannot reach Spotify: the auth service answers UNAVAILABLE itself,
    # after spending the state. The channel must not run CompleteLogin again (a retry would
    # find the state spent and answer 400, telling the person their login was bad).
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "alice", browser=browser)
    stack.emulator.stop()
    answer = browser.get(callback, headers=JSON, timeout=30)
    _assert_refused(answer, 503, "service_unavailable")
    assert answer.headers["retry-after"]
