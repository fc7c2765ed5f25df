"""A service stopping mid-save: the save ends (partial/failed) within a deadline, earlier
saves stay readable and unchanged, and the next save succeeds."""

from __future__ import annotations

import time
from typing import Any

from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

DEADLINE_S = 15


def _wait_running(api: Any, save_id: str) -> None:
    deadline = time.monotonic() + 10
    while api.get(f"/api/v1/library/saves/{save_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _wait_reachable(api: Any, path: str) -> None:
    """A restarted service is reconnected to within moments; until then reads answer 503."""
    deadline = time.monotonic() + 10
    while (answer := api.get(path)).status_code == 503:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    assert answer.status_code == 200, answer.text


def test_an_entity_service_stopped_mid_save_makes_it_partial_and_keeps_the_last_save(
    stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    first = api.save()
    liked_then = api.all("/api/v1/tracks")
    albums_then = api.all("/api/v1/albums")
    truth.like_tracks(5)

    # Liked Songs' first page waits at the emulator until the track service is gone, however
    # fast the machine: the save cannot finish that kind first.
    stack.emulator.set_faults(Faults(hold=Hold(1000, route="GET /v1/me/tracks", timeout_s=60)))
    second = api.start(kinds=["tracks", "albums"], full=True)
    _wait_running(api, second["id"])
    stopped_at = time.monotonic()
    stack.stop_entity("track")
    ended = api.wait(second["id"], timeout=DEADLINE_S)
    assert time.monotonic() - stopped_at < DEADLINE_S
    assert ended["status"] == "partial", ended
    assert ended["error"]["kinds"] == ["tracks"]
    assert ended["error"]["code"] == "service_unavailable"
    assert "tracks" not in ended["counts"]
    stack.emulator.set_faults(Faults())

    # Liked songs still read from the first save, unchanged; that save is intact.
    stack.start_entity("track")
    _wait_reachable(api, "/api/v1/tracks")
    assert api.all("/api/v1/tracks") == liked_then
    assert api.all("/api/v1/tracks", save=first["id"]) == liked_then
    assert api.get("/api/v1/tracks", save=ended["id"]).status_code == 404
    # The kinds the partial save completed read from it.
    assert api.all("/api/v1/albums", save=ended["id"]) == albums_then
    assert api.get(f"/api/v1/library/saves/{first['id']}").json() == first

    third = api.save()
    assert third["status"] == "succeeded", third
    assert api.all("/api/v1/tracks") == truth.saved_tracks()


def test_restarting_the_library_service_mid_save_marks_that_save_failed(
    stack: Stack, api: Any
) -> None:
    first = api.save(kinds=["artists"])
    # Spotify answers nothing until released: no kind can complete before the restart.
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    second = api.start(full=True)
    _wait_running(api, second["id"])
    stack.restart_library()
    stack.emulator.set_faults(Faults())
    deadline = time.monotonic() + DEADLINE_S
    while True:
        answer = api.get(f"/api/v1/library/saves/{second['id']}")
        if answer.status_code == 200:  # the gateway may take a moment to reconnect
            break
        assert answer.status_code == 503, answer.text
        assert time.monotonic() < deadline
        time.sleep(0.1)
    interrupted = answer.json()
    assert interrupted["status"] == "failed"
    assert interrupted["error"]["code"] == "interrupted"
    assert interrupted["finished_at"] is not None
    assert api.get(f"/api/v1/library/saves/{first['id']}").json() == first
    assert api.save()["status"] == "succeeded"
