"""The whole stack in-process (teststack.stack.Stack) against the Spotify emulator, and a small
HTTP client that speaks docs/api.md to the gateway."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from teststack.stack import Stack

from spotify_emulator import Emulator

ENDED = ("succeeded", "partial", "failed")


class Api:
    """One logged-in user's calls to the gateway."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=30)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, timeout=30)

    def start(self, kinds: list[str] | None = None, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"full": full}
        if kinds is not None:
            body["kinds"] = kinds
        answer = self.post("/api/v1/library/saves", body)
        assert answer.status_code == 202, answer.text
        save: dict[str, Any] = answer.json()
        return save

    def wait(self, save_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            save: dict[str, Any] = self.get(f"/api/v1/library/saves/{save_id}").json()
            if save["status"] in ENDED:
                return save
            assert time.monotonic() < deadline, f"the save did not end in {timeout}s: {save}"
            time.sleep(0.05)

    def save(
        self, kinds: list[str] | None = None, full: bool = False, timeout: float = 60
    ) -> dict[str, Any]:
        """Starts a save and waits for its end (polling)."""
        return self.wait(self.start(kinds, full)["id"], timeout)

    def events(self, save_id: str) -> list[tuple[str, Any]]:
        """The save's Server-Sent Events, read to the end of the stream."""
        answer = self.session.get(
            f"{self.url}/api/v1/library/saves/{save_id}/events", stream=True, timeout=60
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = []
        name = ""
        for line in answer.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
        return events

    def all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paged read, following `next` links."""
        page = self.get(path, limit=100, **params)
        assert page.status_code == 200, page.text
        body = page.json()
        items: list[Any] = body["items"]
        while body["next"]:
            page = self.session.get(body["next"], timeout=30)
            assert page.status_code == 200, page.text
            body = page.json()
            items.extend(body["items"])
        assert len(items) == body["total"]
        return items


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def api(stack: Stack) -> Api:
    return Api(stack.url, stack.login())


@pytest.fixture
def api_for() -> Any:
    """Logs an emulator user in to a stack: (stack, user) -> Api."""

    def make(stack: Stack, user: str = "tapedeck-demo") -> Api:
        return Api(stack.url, stack.login(user))

    return make


def _without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def assert_library_equals(api: Api, truth: Any) -> list[dict[str, Any]]:
    """Every read through the gateway equals the emulator user's library exactly: every
    playlist (withheld ones marked, with no items), every item in order, liked songs,
    albums, artists. Returns the playlists read."""
    playlists = api.all("/api/v1/playlists")
    assert [_without(p, "tapedeck") for p in playlists] == truth.playlists_simplified()
    for playlist in playlists:
        pid = playlist["id"]
        one = api.get(f"/api/v1/playlists/{pid}")
        assert one.status_code == 200, one.text
        assert _without(one.json(), "tapedeck", "items", "tracks") == _without(
            truth.playlist(pid), "items", "tracks"
        )
        assert one.json()["tapedeck"] == playlist["tapedeck"]
        items = api.all(f"/api/v1/playlists/{pid}/tracks")
        if truth.items_withheld(pid):
            assert playlist["tapedeck"] == {"items_saved": 0, "items_withheld": True}
            assert items == []
        else:
            assert playlist["tapedeck"]["items_withheld"] is False
            assert items == truth.playlist_items(pid)
            assert playlist["tapedeck"]["items_saved"] == len(items)
    assert api.all("/api/v1/tracks") == truth.saved_tracks()
    assert api.all("/api/v1/albums") == truth.saved_albums()
    assert api.all("/api/v1/artists") == truth.followed_artists()
    return playlists


@pytest.fixture
def library_equals() -> Any:
    """assert_library_equals(api, truth)."""
    return assert_library_equals
