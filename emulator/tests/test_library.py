"""Generated libraries: deterministic, exact totals, every awkward case, fast to build, and
deterministic edits."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from spotify_emulator import Emulator, EmulatorConfig, LibrarySpec


def every_page(client: Any) -> list[bytes]:
    """The raw bytes of every page a full read fetches, links made base-independent."""
    user = client.user
    urls = ["/me", "/me/playlists?limit=50", "/me/tracks?limit=50", "/me/albums?limit=50"]
    urls.append("/me/following?type=artist&limit=50")
    for playlist in user.playlists_simplified():
        urls += [f"/playlists/{playlist['id']}", f"/playlists/{playlist['id']}/items?limit=50"]
    base = client.emu.base_url.encode()
    pages = []
    for url in urls:
        answer = client.session.get(
            client.emu.api_url + url, headers={"Authorization": f"Bearer {client.token}"}, timeout=5
        )
        pages.append(answer.content.replace(base, b"BASE"))
    return pages


def test_the_same_seed_serves_the_same_bytes(make_emu: Any, client_for: Any) -> None:
    one = every_page(client_for(make_emu(seed=5)))
    two = every_page(client_for(make_emu(seed=5)))
    assert one == two
    assert every_page(client_for(make_emu(seed=6))) != one


def test_a_shared_public_url_gives_identical_bytes(make_emu: Any, client_for: Any) -> None:
    config = {"seed": 9, "public_url": "http://spotify.test"}
    bodies = []
    for emu in (make_emu(**config), make_emu(**config)):
        client = client_for(emu)
        answer = client.get(f"{emu.listen_url}/v1/me/tracks?limit=50")
        assert answer.status_code == 200
        bodies.append(answer.content)
    assert bodies[0] == bodies[1]
    assert b'"next":"http://spotify.test/v1/me/tracks?offset=50&limit=50"' in bodies[0]


def test_users_get_different_libraries(emu: Emulator) -> None:
    alice, bob = emu.user("alice"), emu.user("bob")
    assert alice.saved_tracks() != bob.saved_tracks()
    assert emu.user().id == "tapedeck-demo"


def kinds_of_items(user: Any, key: str = "item") -> set[str]:
    found = set()
    for playlist in user.playlists_simplified():
        for item in user.playlist_items(playlist["id"]):
            obj = item[key]
            found.add("null" if obj is None else "local" if item["is_local"] else obj["type"])
    return found


@pytest.mark.parametrize("profile", ["tiny", "demo"])
def test_every_profile_has_every_awkward_case(profile: str) -> None:
    emu = Emulator(EmulatorConfig(seed=3, library=LibrarySpec.profile(profile)))
    user = emu.user("alice")
    playlists = user.playlists_simplified()
    names = [p["name"] for p in playlists]
    sizes = [p["items"]["total"] for p in playlists]
    assert kinds_of_items(user) == {"null", "local", "episode", "track"}
    assert any("," in n and '"' in n for n in names)
    assert any("\n" in n for n in names) and "../../etc/passwd" in names
    assert any(any(ord(c) > 0xFFFF for c in n) for n in names)  # emoji
    assert len(names) > len(set(names))  # a duplicate name
    assert 0 in sizes and max(sizes) > 100
    assert any(p["owner"]["id"] != "alice" and p["collaborative"] for p in playlists)
    assert any(user.items_withheld(p["id"]) for p in playlists)
    artists = {a["name"] for s in user.saved_tracks() for a in s["track"]["artists"]}
    artists |= {a["name"] for a in user.followed_artists()}
    assert any("," in a for a in artists)
    assert any(a["album"]["total_tracks"] > 50 for a in user.saved_albums())
    seen: dict[str, int] = {}
    for playlist in playlists:
        for item in {
            i["item"]["id"]
            for i in user.playlist_items(playlist["id"])
            if i["item"] and i["item"]["id"]
        }:
            seen[item] = seen.get(item, 0) + 1
    assert max(seen.values()) >= 2  # the same track in two playlists


def test_local_files_look_like_spotifys(emu: Emulator) -> None:
    user = emu.user("alice")
    local = next(
        i
        for p in user.playlists_simplified()
        for i in user.playlist_items(p["id"])
        if i["is_local"]
    )
    track = local["item"]
    assert track["id"] is None and track["href"] is None and track["is_local"] is True
    assert track["uri"].startswith("spotify:local:")
    assert track["uri"].endswith(f":{track['duration_ms'] // 1000}")
    assert track["album"]["id"] is None and track["artists"][0]["id"] is None


@pytest.mark.parametrize("profile", ["tiny", "demo", "workload_l"])
def test_profile_totals_are_exact(profile: str) -> None:
    spec = LibrarySpec.profile(profile)
    began = time.perf_counter()
    emu = Emulator(EmulatorConfig(seed=42, library=spec))
    summary = emu.user().summary()
    assert time.perf_counter() - began < 5
    assert summary == {
        "playlists": spec.playlists,
        "playlist_items": spec.playlist_items,
        "liked": spec.liked,
        "albums": spec.albums,
        "artists": spec.artists,
    }


def test_workload_l_is_heavy_tailed_and_served(make_emu: Any, client_for: Any) -> None:
    emu = make_emu(library=LibrarySpec.workload_l(), seed=42)
    client = client_for(emu, "tapedeck-demo")
    playlists = client.all_pages("/me/playlists", limit=50)
    assert len(playlists) == 500
    sizes = sorted((p["items"]["total"] for p in playlists), reverse=True)
    assert sum(sizes) == 60_000
    assert sizes[0] > 2_000 and sizes[len(sizes) // 2] < 60  # a few huge, many small
    assert client.json("/me/tracks", limit=1)["total"] == 10_000
    assert client.json("/me/albums", limit=1)["total"] == 1_500
    assert client.json("/me/following", type="artist", limit=1)["artists"]["total"] == 800
    biggest = next(p for p in playlists if p["items"]["total"] == sizes[0])
    last = client.json(f"/playlists/{biggest['id']}/items", limit=50, offset=sizes[0] - 1)
    assert len(last["items"]) == 1 and last["next"] is None


def test_change_playlist_changes_that_snapshot_only(emu: Emulator, client: Any) -> None:
    user = client.user
    before = {p["id"]: p for p in user.playlists_simplified()}
    own = next(
        p for p in before.values() if p["owner"]["id"] == "alice" and p["items"]["total"] > 5
    )
    items_before = user.playlist_items(own["id"])
    snapshot = user.change_playlist(own["id"], add=2, remove=1)
    after = {p["id"]: p for p in client.all_pages("/me/playlists", limit=50)}
    assert snapshot == after[own["id"]]["snapshot_id"] != own["snapshot_id"]
    assert after[own["id"]]["items"]["total"] == own["items"]["total"] + 1
    for pid, playlist in before.items():
        if pid != own["id"]:
            assert after[pid] == playlist
    items = client.all_pages(f"/playlists/{own['id']}/items", limit=50)
    assert items == user.playlist_items(own["id"])
    assert items[:-2] != items_before and len(items) == len(items_before) + 1
    assert all(i["added_by"]["id"] == "alice" for i in items[-2:])
    assert items[-1]["added_at"] > items_before[-1]["added_at"]
    # Nothing to change, nothing changes.
    assert user.change_playlist(own["id"], add=0, remove=0) == snapshot


def test_edits_are_deterministic_and_served(make_emu: Any, client_for: Any) -> None:
    results = []
    for _ in range(2):
        emu = make_emu(seed=11)
        client = client_for(emu)
        user = client.user
        liked_before = user.saved_tracks()
        new = user.like_tracks(3)
        liked = client.all_pages("/me/tracks", limit=50)
        assert [s["track"]["id"] for s in liked[:3]] == new  # new likes come first
        assert liked[3:] == liked_before
        gone = user.unlike_tracks(2)
        assert not {s["track"]["id"] for s in user.saved_tracks()} & set(gone)
        assert user.save_albums(2) == [a["album"]["id"] for a in user.saved_albums()[:2]]
        user.remove_albums(1)
        followed = user.follow_artists(4)
        ids = [
            a["id"]
            for a in client.json("/me/following", type="artist", limit=50)["artists"]["items"]
        ]
        assert set(followed) <= set(ids) and ids == sorted(ids)
        user.unfollow_artists(2)
        truth = json.dumps([user.saved_tracks(), user.saved_albums(), user.followed_artists()])
        results.append(truth.replace(emu.base_url, "BASE"))
    assert results[0] == results[1]


def test_a_large_custom_library_builds_quickly() -> None:
    spec = LibrarySpec(
        playlists=2_000, playlist_items=300_000, liked=20_000, albums=3_000, artists=1_000
    )
    began = time.perf_counter()
    summary = Emulator(EmulatorConfig(seed=1, library=spec)).user().summary()
    elapsed = time.perf_counter() - began
    assert summary["playlist_items"] == 300_000 and summary["playlists"] == 2_000
    assert elapsed < 10, elapsed
