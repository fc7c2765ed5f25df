"""The whole stack against the emulator with write support, a user logged in with the write
scopes a restore needs, and helpers to read a user's playlists back from the emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from teststack.stack import Stack

from spotify_emulator import Emulator
from spotify_emulator.emulator import ALL_SCOPES, WRITE_SCOPES

ENDED = ("succeeded", "partial", "failed", "cancelled")


def login_with_write_scopes(gateway_url: str, user: str) -> str:
    """A Tapedeck JWT for `user`, who granted the write scopes at Spotify's consent."""
    with requests.Session() as browser:
        start = browser.get(f"{gateway_url}/auth/login", allow_redirects=False, timeout=10)
        assert start.status_code == 302, start.text
        parts = urlsplit(start.headers["location"])
        query = parse_qs(parts.query)
        query["scope"] = [f"{query['scope'][0]} {WRITE_SCOPES}"]
        query["emulator_user"] = [user]
        approved = requests.get(
            urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
            allow_redirects=False,
            timeout=10,
        )
        assert approved.status_code in (302, 303), approved.text
        callback = urlsplit(approved.headers["location"])
        gateway = urlsplit(gateway_url)
        url = urlunsplit(callback._replace(scheme=gateway.scheme, netloc=gateway.netloc))
        answer = browser.get(url, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=30)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, timeout=30)

    def save(self) -> dict[str, Any]:
        started = self.post("/api/v1/library/saves", {})
        assert started.status_code == 202, started.text
        return self.wait(f"/api/v1/library/saves/{started.json()['id']}")

    def restore(self, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        started = self.post("/api/v1/restores", body)
        assert started.status_code == 202, started.text
        return self.wait(f"/api/v1/restores/{started.json()['id']}", timeout)

    def wait(self, path: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(path)
            # A restarted service answers 503 until the gateway reaches it again.
            assert answer.status_code in (200, 503), answer.text
            found: dict[str, Any] = answer.json()
            if answer.status_code == 200 and found["status"] in ENDED:
                return found
            assert time.monotonic() < deadline, f"not ended in {timeout}s: {found}"
            time.sleep(0.05)


def spotify(emulator: Emulator, user: str) -> requests.Session:
    """Requests to the emulator's Web API as `user`, with every scope (the test's own hand
    on the account: deleting playlists as a person would in Spotify's app)."""
    session = requests.Session()
    token = emulator.issue_token(user, f"{ALL_SCOPES} {WRITE_SCOPES}")["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def item_uris(emulator: Emulator, user: str, playlist_id: str) -> list[str | None]:
    """A playlist's items as the emulator holds them: URIs, None for an unavailable item."""
    found: list[str | None] = []
    for item in emulator.user(user).playlist_items(playlist_id):
        obj = item.get("item") or item.get("track")
        found.append(obj.get("uri") if isinstance(obj, dict) else None)
    return found


def restorable(uris: list[str | None]) -> list[str]:
    return [u for u in uris if u is not None and not u.startswith("spotify:local:")]


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def api(stack: Stack) -> Api:
    return Api(stack.url, login_with_write_scopes(stack.url, "tapedeck-demo"))
