"""A restore interrupted (its process restarted mid-way; Spotify failing every write for a
while, each failed write made though its answer was lost) ends with every item exactly once,
and with each playlist made once."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from teststack.stack import Stack

from spotify_emulator import Emulator, Faults

from .conftest import Api, item_uris, login_with_write_scopes, restorable, spotify

USER = "tapedeck-demo"


def chosen(emulator: Emulator) -> list[dict[str, Any]]:
    user = emulator.user(USER)
    own = [p for p in user.playlists_simplified() if not user.items_withheld(p["id"])]
    return sorted(own, key=lambda p: -p["items"]["total"])[:3]


def delete(emulator: Emulator, playlists: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Deletes the playlists; answers what each held (the URIs a restore can write)."""
    truth = {p["name"]: restorable(item_uris(emulator, USER, p["id"])) for p in playlists}
    hand = spotify(emulator, USER)
    for p in playlists:
        uri = f"spotify:playlist:{p['id']}"
        assert hand.delete(f"{emulator.api_url}/me/library", params={"uris": uri}).ok
    return truth


def assert_restored_once(emulator: Emulator, truth: dict[str, list[str]]) -> None:
    user = emulator.user(USER)
    names = Counter(p["name"] for p in user.playlists_simplified())
    for name, uris in truth.items():
        assert names[name] == 1, f"{name!r} made {names[name]} times"
        made = next(p for p in user.playlists_simplified() if p["name"] == name)
        assert item_uris(emulator, USER, made["id"]) == uris


def wait_for(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_writes_failing_for_10_s_after_being_made_restore_each_item_once(
    emulator: Emulator, api: Api
) -> None:
    playlists = chosen(emulator)
    save = api.save()
    truth = delete(emulator, playlists)
    emulator.reset_stats()
    # Every write is made, and answered 5xx: the worst case, a client cannot know.
    emulator.set_faults(Faults(write_error_rate=1.0, write_error_applied=True))
    started = api.post(
        "/api/v1/restores",
        {"source": {"save": save["id"]}, "playlists": [p["id"] for p in playlists]},
    )
    assert started.status_code == 202, started.text
    storm_ends = time.monotonic() + 10
    wait_for(lambda: emulator.writes()["total"] >= 3)
    time.sleep(max(0.0, storm_ends - time.monotonic()))
    emulator.set_faults(Faults())

    done = api.wait(f"/api/v1/restores/{started.json()['id']}", timeout=60)

    assert done["status"] == "succeeded", done
    statuses = emulator.stats()["by_status"]
    assert sum(n for s, n in statuses.items() if s.startswith("5")) >= 3
    assert_restored_once(emulator, truth)


def test_a_restore_cut_by_a_restart_of_its_service_resumes_and_writes_each_item_once(
    emulator: Emulator, stack: Stack, api: Api
) -> None:
    playlists = chosen(emulator)
    save = api.save()
    truth = delete(emulator, playlists)
    # Slow enough that the restart lands mid-way.
    emulator.set_faults(Faults(latency_ms=60))
    started = api.post(
        "/api/v1/restores",
        {"source": {"save": save["id"]}, "playlists": [p["id"] for p in playlists]},
    )
    assert started.status_code == 202, started.text
    path = f"/api/v1/restores/{started.json()['id']}"
    wait_for(lambda: api.get(path).json()["progress"]["done"] > 0)
    cut = api.get(path).json()
    assert cut["status"] == "running" and cut["progress"]["done"] < cut["progress"]["total"]

    stack.restart_library()
    emulator.set_faults(Faults())

    done = api.wait(path, timeout=60)
    assert done["status"] == "succeeded", done
    assert done["progress"]["done"] == done["progress"]["total"]
    assert_restored_once(emulator, truth)


def test_a_cancelled_restore_stops_writing_and_says_so(emulator: Emulator, tmp_path: Path) -> None:
    # One playlist at a time, so that a cancel lands with most of it still to write.
    stack = Stack.start(emulator, tmp_path, restore_concurrency=1)
    try:
        _cancel(emulator, Api(stack.url, login_with_write_scopes(stack.url, USER)))
    finally:
        stack.stop()


def _cancel(emulator: Emulator, api: Api) -> None:
    playlists = chosen(emulator)
    save = api.save()
    delete(emulator, playlists)
    emulator.set_faults(Faults(latency_ms=150))
    started = api.post(
        "/api/v1/restores",
        {"source": {"save": save["id"]}, "playlists": [p["id"] for p in playlists]},
    )
    path = f"/api/v1/restores/{started.json()['id']}"
    wait_for(lambda: api.get(path).json()["progress"]["done"] > 0)

    assert api.session.delete(f"{api.url}{path}", timeout=30).status_code == 204

    done = api.wait(path)
    assert done["status"] == "cancelled"
    assert done["progress"]["done"] < done["progress"]["total"]
    writes = emulator.writes()["total"]
    emulator.set_faults(Faults())
    assert api.get(path).json()["status"] == "cancelled"
    assert emulator.writes()["total"] == writes  # nothing written after it ended
    assert (
        api.session.delete(f"{api.url}/api/v1/restores/{'0' * 32}", timeout=30).status_code == 404
    )
