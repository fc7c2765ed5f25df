"""How Tapedeck treats Spotify: the fewest requests the paging allows, nothing refetched that
did not change, and a save that ends with exactly the same data through rate limits,
server errors, dropped connections, expiring tokens and a page size Spotify refuses."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from kit.settings import ENTITY_SERVICES
from spotify_emulator import Emulator, Faults, LibrarySpec
from spotify_emulator.config import Hold

PLAYLISTS = "GET /v1/me/playlists"
PLAYLIST = "GET /v1/playlists/{id}"
ITEMS = "GET /v1/playlists/{id}/items"
LIKED = "GET /v1/me/tracks"
ALBUMS = "GET /v1/me/albums"
ALBUM_TRACKS = "GET /v1/albums/{id}/tracks"
FOLLOWING = "GET /v1/me/following"
# What /playlists/{id} carries nested, and /items's cap for development-mode apps.
NESTED, ITEMS_PAGE = 100, 50


def _pages(n: int, size: int = 50) -> int:
    return max(1, math.ceil(n / size))


def _more_pages(n: int, first: int, size: int) -> int:
    return math.ceil(max(0, n - first) / size)


def list_level(truth: Any) -> Counter[str]:
    """The calls that only read the top of each list."""
    return Counter(
        {
            PLAYLISTS: _pages(len(truth.playlists_simplified())),
            LIKED: 1,
            ALBUMS: 1,
            FOLLOWING: _pages(len(truth.followed_artists())),
        }
    )


def playlist_calls(truth: Any, playlist_ids: list[str]) -> Counter[str]:
    calls: Counter[str] = Counter()
    for pid in playlist_ids:
        calls[PLAYLIST] += 1
        if not truth.items_withheld(pid):
            calls[ITEMS] += _more_pages(len(truth.playlist_items(pid)), NESTED, ITEMS_PAGE)
    return calls


def minimum(truth: Any) -> Counter[str]:
    """The fewest requests that read the whole library, by route."""
    calls = list_level(truth)
    calls += playlist_calls(truth, [p["id"] for p in truth.playlists_simplified()])
    calls[LIKED] = _pages(len(truth.saved_tracks()))
    albums = truth.saved_albums()
    calls[ALBUMS] = _pages(len(albums))
    for saved in albums:
        calls[ALBUM_TRACKS] += _more_pages(saved["album"]["tracks"]["total"], 50, 50)
    return +calls


def calls(emulator: Emulator) -> Counter[str]:
    return +Counter(emulator.stats()["by_route"])


def rows(stack: Stack) -> dict[str, int]:
    """Rows of every entity service's collection tables."""
    counts = {}
    for service in ENTITY_SERVICES:
        engine = sa.create_engine(stack.database_urls[service])
        with engine.connect() as conn:
            for table in ("objects", "listings", "entries", "versions"):
                counts[f"{service}.{table}"] = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        engine.dispose()
    return counts


@pytest.fixture
def demo_stack(tmp_path: Path) -> Iterator[Stack]:
    """The demo library: 25 playlists, 1,500 items, so lists take several pages."""
    emulator = make_emulator(library=LibrarySpec.demo())
    stack = Stack.start(emulator, tmp_path)
    yield stack
    stack.stop()
    emulator.stop()


def test_a_first_save_makes_the_fewest_requests_the_paging_allows(
    demo_stack: Stack, api_for: Any
) -> None:
    api = api_for(demo_stack)
    truth = demo_stack.emulator.user("tapedeck-demo")
    demo_stack.emulator.reset_stats()
    save = api.save()
    assert save["status"] == "succeeded", save
    expected = minimum(truth)
    assert expected[ITEMS] > 10 and expected[ALBUM_TRACKS] > 0  # paging really happens
    assert calls(demo_stack.emulator) == expected
    assert save["spotify_requests"] == expected.total()


def test_an_unchanged_resave_makes_only_the_list_level_calls(
    demo_stack: Stack, api_for: Any
) -> None:
    api = api_for(demo_stack)
    truth = demo_stack.emulator.user("tapedeck-demo")
    first = api.save()
    stored = rows(demo_stack)
    demo_stack.emulator.reset_stats()
    second = api.save()
    assert second["status"] == "succeeded", second
    assert calls(demo_stack.emulator) == list_level(truth)
    assert second["spotify_requests"] == list_level(truth).total()
    assert second["counts"] == first["counts"]
    # Saves of an unchanged library store nothing new.
    for _ in range(3):
        assert api.save()["status"] == "succeeded"
    assert rows(demo_stack) == stored
    diff = api.get("/api/v1/library/diff").json()
    assert diff["playlists"] == {"added": [], "removed": [], "changed": []}
    # A full save reads everything again.
    demo_stack.emulator.reset_stats()
    assert api.save(full=True)["status"] == "succeeded"
    assert calls(demo_stack.emulator) == minimum(truth)


def test_only_the_changed_playlists_are_fetched_again(demo_stack: Stack, api_for: Any) -> None:
    api = api_for(demo_stack)
    truth = demo_stack.emulator.user("tapedeck-demo")
    api.save()
    readable = [
        p["id"]
        for p in truth.playlists_simplified()
        if not truth.items_withheld(p["id"]) and len(truth.playlist_items(p["id"])) > NESTED
    ]
    changed = readable[:2]
    for pid in changed:
        truth.change_playlist(pid, add=3, remove=2)
    demo_stack.emulator.reset_stats()
    save = api.save()
    assert save["status"] == "succeeded", save
    assert calls(demo_stack.emulator) == list_level(truth) + playlist_calls(truth, changed)
    for pid in changed:
        assert api.all(f"/api/v1/playlists/{pid}/tracks") == truth.playlist_items(pid)
    diff = api.get("/api/v1/library/diff").json()
    assert sorted(c["id"] for c in diff["playlists"]["changed"]) == sorted(changed)


def test_a_save_through_faults_ends_succeeded_with_exactly_the_same_data(
    stack: Stack, api: Any, library_equals: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    stack.emulator.set_faults(
        Faults(
            latency_ms=20,
            # Low enough to be met however slow the machine: the save's kinds start together,
            # so their first requests alone exceed it.
            rate_limit=(6, 1.0),
            retry_after_s=1,
            error_rate=0.1,
            drop_rate=0.05,
            seed=7,
        )
    )
    stop = threading.Event()

    def expire_tokens() -> None:
        # Often enough to meet 401s, rarely enough that a request paused by a 429 still
        # gets to use its fresh token (three refused fresh tokens in a row end the sync).
        while not stop.wait(1.5):
            stack.emulator.expire_access_tokens()

    expiring = threading.Thread(target=expire_tokens, daemon=True)
    expiring.start()
    try:
        save = api.save(timeout=120)
    finally:
        stop.set()
        expiring.join()
        stack.emulator.set_faults(Faults())
    assert save["status"] == "succeeded", save
    by_status = stack.emulator.stats()["by_status"]
    # Every kind of fault really happened.
    assert by_status.get("429", 0) > 0 and by_status.get("dropped", 0) > 0
    assert sum(by_status.get(s, 0) for s in ("500", "502", "503")) > 0
    assert by_status.get("401", 0) > 0
    library_equals(api, truth)


def test_a_page_size_spotify_refuses_steps_down(tmp_path: Path, api_for: Any) -> None:
    """An extended-quota setting (100 items a page) against a development-mode app, which
    answers 400 to it: the service steps down to 50 and the save is still exact."""
    emulator = make_emulator(library=LibrarySpec.demo())
    stack = Stack.start(
        emulator, tmp_path, entity_overrides={"spotify_playlist_items_page_size": 100}
    )
    try:
        api = api_for(stack)
        assert api.save()["status"] == "succeeded"
        assert emulator.stats()["by_status"].get("400", 0) > 0
        truth = emulator.user("tapedeck-demo")
        for playlist in truth.playlists_simplified():
            pid = playlist["id"]
            assert api.all(f"/api/v1/playlists/{pid}/tracks") == truth.playlist_items(pid)
    finally:
        stack.stop()
        emulator.stop()


def test_a_retry_after_beyond_the_limit_ends_the_kind_rate_limited_without_hammering(
    tmp_path: Path, api_for: Any
) -> None:
    emulator = make_emulator()
    stack = Stack.start(emulator, tmp_path, entity_overrides={"spotify_max_retry_after_s": 5})
    try:
        api = api_for(stack)
        emulator.reset_stats()
        emulator.set_faults(Faults(rate_limit=(1, 60.0), retry_after_s=3600))
        save = api.save(kinds=["tracks"])
        assert save["status"] == "failed", save
        assert save["error"]["code"] == "rate_limited"
        # One answered request, then at most one 429 per request in flight: no hammering.
        assert emulator.stats()["by_status"].get("429", 0) <= 8
        assert emulator.stats()["total"] <= 9
    finally:
        stack.stop()
        emulator.stop()


@pytest.mark.parametrize("bound", [8, 5])
def test_a_save_keeps_the_users_requests_in_flight_within_the_bound(
    tmp_path: Path, api_for: Any, bound: int
) -> None:
    """TAPEDECK_SPOTIFY_CONCURRENCY bounds a user's requests in flight over the whole save,
    all four kinds together (the library shares it out), not in each service. The emulator
    holds the items pages back until `bound` of them are in flight at once (the playlists'
    share once the other kinds have ended): a save that never had the whole bound in use
    would time the hold out, however fast or slow the machine."""
    emulator = make_emulator(library=LibrarySpec.demo())
    overrides: dict[str, Any] = {} if bound == 8 else {"spotify_concurrency": bound}
    stack = Stack.start(emulator, tmp_path, **overrides)
    try:
        api = api_for(stack)
        emulator.set_faults(
            Faults(latency_ms=30, hold=Hold(bound, user="tapedeck-demo", route=ITEMS))
        )
        emulator.reset_stats()
        save = api.save()
        assert save["status"] == "succeeded", save
        assert calls(emulator) == minimum(emulator.user("tapedeck-demo"))
        stats = emulator.stats()
        # The whole bound in use at some point, and never more.
        assert stats["holds"] == {"reached": 1, "timed_out": 0}
        assert stats["max_in_flight_by_user"] == {"tapedeck-demo": bound}
        assert stats["max_in_flight_by_route"][ITEMS] == bound
    finally:
        stack.stop()
        emulator.stop()


def test_a_kind_that_ends_hands_its_share_of_the_bound_to_the_kinds_still_running(
    tmp_path: Path, api_for: Any
) -> None:
    # Playlists dominate: liked songs, albums and artists take one page each. The playlist
    # service starts with 2 of the 8 and can only reach 8 items pages in flight at once
    # once the other kinds have handed their shares on. The emulator holds the items pages
    # back until 8 are in flight at once: without the hand-on, the hold times out.
    library = LibrarySpec(playlists=20, playlist_items=6000, liked=40, albums=5, artists=10)
    emulator = make_emulator(library=library)
    stack = Stack.start(emulator, tmp_path)
    try:
        api = api_for(stack)
        emulator.set_faults(Faults(latency_ms=30, hold=Hold(8, user="tapedeck-demo", route=ITEMS)))
        emulator.reset_stats()
        save = api.save()
        assert save["status"] == "succeeded", save
        stats = emulator.stats()
        assert stats["by_route"][ITEMS] > 40
        assert stats["holds"] == {"reached": 1, "timed_out": 0}
        assert stats["max_in_flight_by_user"] == {"tapedeck-demo": 8}
        assert stats["max_in_flight_by_route"][ITEMS] == 8
    finally:
        stack.stop()
        emulator.stop()
