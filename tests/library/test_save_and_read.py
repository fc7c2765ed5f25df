"""A save, then every read through the gateway equals the Spotify library exactly — in the
2026 shape and in the older one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from kit.settings import SERVICES


@pytest.fixture(params=["2026", "legacy"])
def shaped_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    emulator = make_emulator(mode=request.param)
    stack = Stack.start(emulator, tmp_path)
    yield stack
    stack.stop()
    emulator.stop()


def test_every_read_equals_the_spotify_library_after_a_save(
    shaped_stack: Stack, api_for: Any, library_equals: Any
) -> None:
    api = api_for(shaped_stack)
    truth = shaped_stack.emulator.user("tapedeck-demo")
    started = api.start()
    assert started["status"] == "queued"
    events = api.events(started["id"])
    names = [name for name, _ in events]
    assert names[-1] == "done" and names.count("done") == 1
    assert set(names[:-1]) == {"progress"}
    save = events[-1][1]
    assert save["status"] == "succeeded", save
    assert save["error"] is None
    assert save["spotify_requests"] > 0
    assert save["finished_at"] and save["started_at"] and save["created_at"].endswith("Z")

    playlists = library_equals(api, truth)
    withheld = [p for p in playlists if p["tapedeck"]["items_withheld"]]
    # The tiny library holds playlists Spotify withholds from development-mode apps only.
    assert bool(withheld) == (shaped_stack.emulator.mode == "2026")
    assert save["counts"] == {
        "playlists": len(playlists),
        "tracks": len(truth.saved_tracks()),
        "albums": len(truth.saved_albums()),
        "artists": len(truth.followed_artists()),
    }


def test_a_save_on_postgresql_reads_back_exactly_and_resaves_share_storage(
    tmp_path: Path, postgres_databases: Any, api_for: Any, library_equals: Any
) -> None:
    emulator = make_emulator()
    urls = {name: postgres_databases() for name in SERVICES if name != "download"}
    stack = Stack.start(emulator, tmp_path, database_urls=urls)
    try:
        api = api_for(stack)
        truth = emulator.user("tapedeck-demo")
        first = api.save()
        assert first["status"] == "succeeded", first
        library_equals(api, truth)
        truth.like_tracks(3)
        pid = next(
            p["id"] for p in truth.playlists_simplified() if not truth.items_withheld(p["id"])
        )
        truth.change_playlist(pid, add=2, remove=0)
        second = api.save()
        assert second["status"] == "succeeded", second
        library_equals(api, truth)
        diff = api.get("/api/v1/library/diff").json()
        assert len(diff["tracks"]["added"]) == 3
        assert [c["id"] for c in diff["playlists"]["changed"]] == [pid]
        assert api.all("/api/v1/tracks", save=first["id"]) != truth.saved_tracks()
    finally:
        stack.stop()
        emulator.stop()
