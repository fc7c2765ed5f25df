"""The library service stopping mid-save: the kinds the save completed stay readable from
it (the save is partial), the others are named as interrupted."""

from __future__ import annotations

import time
from typing import Any

from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

FOLLOWING = "GET /v1/me/following"
COMPLETED = {"playlists", "tracks", "albums"}


def _get_once_reachable(api: Any, path: str) -> dict[str, Any]:
    """A restarted library is reconnected to within moments; until then the gateway answers
    503."""
    deadline = time.monotonic() + 15
    while (answer := api.get(path)).status_code == 503:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


def test_a_save_interrupted_by_a_library_restart_keeps_the_kinds_it_completed(
    stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    first = api.save()
    assert first["status"] == "succeeded", first
    artists_then = api.all("/api/v1/artists")
    truth.like_tracks(3)

    # Followed artists' first page waits in the emulator for a second request that never
    # comes (artists are read one page after another), while the other kinds complete.
    stack.emulator.set_faults(
        Faults(hold=Hold(2, user="tapedeck-demo", route=FOLLOWING, timeout_s=60))
    )
    second = api.start()
    deadline = time.monotonic() + 30
    while set((save := api.get(f"/api/v1/library/saves/{second['id']}").json())["counts"]) != (
        COMPLETED
    ):
        assert time.monotonic() < deadline, save
        time.sleep(0.05)
    assert save["status"] == "running", save

    stack.restart_library()
    stack.emulator.set_faults(Faults())  # lets the held request go

    ended = _get_once_reachable(api, f"/api/v1/library/saves/{second['id']}")
    assert ended["status"] == "partial", ended
    assert ended["error"]["code"] == "interrupted"
    assert ended["error"]["kinds"] == ["artists"]
    assert set(ended["counts"]) == COMPLETED
    assert ended["finished_at"] is not None

    # The restarted library reads the completed kinds from the interrupted save, by default
    # and when asked for it; artists still come from the first save.
    liked = truth.saved_tracks()
    assert len(liked) == first["counts"]["tracks"] + 3
    assert api.all("/api/v1/tracks") == liked
    assert api.all("/api/v1/tracks", save=second["id"]) == liked
    assert api.all("/api/v1/albums", save=second["id"]) == truth.saved_albums()
    playlists = api.all("/api/v1/playlists", save=second["id"])
    assert [_without(p, "tapedeck") for p in playlists] == truth.playlists_simplified()
    assert api.get("/api/v1/artists", save=second["id"]).status_code == 404
    assert api.all("/api/v1/artists") == artists_then
    assert api.get(f"/api/v1/library/saves/{first['id']}").json() == first

    # The next save starts from what the interrupted one kept, and succeeds.
    third = api.save()
    assert third["status"] == "succeeded", third
    assert api.all("/api/v1/tracks") == liked
