"""Offset and cursor paging exactly like Spotify's: defaults, maxima, links and errors."""

from __future__ import annotations

from typing import Any

import pytest

from spotify_emulator import Emulator


def big_playlist(client: Any) -> str:
    key = "items" if client.emu.mode == "2026" else "tracks"
    return next(p["id"] for p in client.user.playlists_simplified() if p[key]["total"] > 100)


def test_a_page_has_spotifys_fields_and_absolute_links(client: Any, emu: Emulator) -> None:
    page = client.json("/me/tracks", limit=10, offset=20, market="SE")
    assert set(page) == {"href", "items", "limit", "next", "offset", "previous", "total"}
    assert (page["limit"], page["offset"], page["total"]) == (10, 20, 60)
    assert page["href"] == f"{emu.api_url}/me/tracks?offset=20&limit=10&market=SE"
    assert page["next"] == f"{emu.api_url}/me/tracks?offset=30&limit=10&market=SE"
    assert page["previous"] == f"{emu.api_url}/me/tracks?offset=10&limit=10&market=SE"
    assert client.json(page["next"])["items"] == client.user.saved_tracks()[30:40]


def test_the_default_limit_is_20_and_the_ends_have_no_links(client: Any) -> None:
    first = client.json("/me/tracks")
    assert first["limit"] == 20 and len(first["items"]) == 20
    assert first["previous"] is None
    last = client.json("/me/tracks", limit=50, offset=50)
    assert len(last["items"]) == 10 and last["next"] is None
    past = client.json("/me/tracks", limit=50, offset=500)
    assert past["items"] == [] and past["next"] is None and past["total"] == 60


@pytest.mark.parametrize(
    ("path", "mode", "maximum"),
    [
        ("/me/playlists", "2026", 50),
        ("/me/tracks", "2026", 50),
        ("/me/albums", "2026", 50),
        ("/playlists/{big}/items", "2026", 50),
        ("/playlists/{big}/items", "legacy", 100),
        ("/playlists/{big}/tracks", "legacy", 100),
        ("/albums/{album}/tracks", "2026", 50),
        ("/me/following?type=artist", "2026", 50),
    ],
)
def test_limits_outside_1_to_the_maximum_are_refused(
    make_emu: Any, client_for: Any, path: str, mode: str, maximum: int
) -> None:
    client = client_for(make_emu(mode=mode))
    album = client.user.saved_albums()[0]["album"]["id"]
    url = path.format(big=big_playlist(client), album=album)
    extra = {"type": "artist"} if "following" in url else {}
    url = url.split("?")[0]
    assert client.get(url, limit=maximum, **extra).status_code == 200
    for bad in (0, maximum + 1, -1, "abc", "1.5", ""):
        answer = client.get(url, limit=bad, **extra)
        assert answer.status_code == 400, (url, bad)
        assert answer.json() == {"error": {"status": 400, "message": "Invalid limit"}}


@pytest.mark.parametrize("bad", [-1, "abc", "2.0"])
def test_bad_offsets_are_refused(client: Any, bad: Any) -> None:
    for path in ("/me/tracks", "/me/playlists", f"/playlists/{big_playlist(client)}/items"):
        answer = client.get(path, offset=bad)
        assert answer.status_code == 400
        assert answer.json() == {"error": {"status": 400, "message": "Invalid offset"}}


def test_the_nested_first_page_links_to_the_items_route(client: Any, emu: Emulator) -> None:
    pid = big_playlist(client)
    playlist = client.json(f"/playlists/{pid}")
    nested = playlist["items"]
    assert len(nested["items"]) == 100 and nested["limit"] == 100
    assert nested["href"] == f"{emu.api_url}/playlists/{pid}/items?offset=0&limit=100"
    # /items takes at most 50 in 2026 mode, so the link asks for 50.
    assert nested["next"] == f"{emu.api_url}/playlists/{pid}/items?offset=100&limit=50"
    rest = client.all_pages(nested["next"])
    assert nested["items"] + rest == client.user.playlist_items(pid)


def test_legacy_nested_pages_and_item_pages_of_100(make_emu: Any, client_for: Any) -> None:
    emu = make_emu(mode="legacy")
    client = client_for(emu)
    pid = big_playlist(client)
    playlist = client.json(f"/playlists/{pid}")
    assert "items" not in playlist
    assert (
        playlist["tracks"]["next"] == f"{emu.api_url}/playlists/{pid}/tracks?offset=100&limit=100"
    )
    page = client.json(f"/playlists/{pid}/items", limit=100)
    assert len(page["items"]) == 100
    assert page["items"] == playlist["tracks"]["items"]


def test_cursor_paging_of_followed_artists(client: Any, emu: Emulator) -> None:
    truth = client.user.followed_artists()
    first = client.json("/me/following", type="artist", limit=3)
    assert set(first) == {"artists"}
    page = first["artists"]
    assert set(page) == {"href", "items", "limit", "next", "cursors", "total"}
    assert page["total"] == len(truth) == 7
    assert page["cursors"]["after"] == truth[2]["id"]
    assert page["next"] == (
        f"{emu.api_url}/me/following?type=artist&after={truth[2]['id']}&limit=3"
    )
    seen = list(page["items"])
    while page["next"]:
        page = client.json(page["next"])["artists"]
        seen += page["items"]
    assert seen == truth
    assert page["cursors"]["after"] is None and len(page["items"]) == 1


def test_following_needs_type_artist(client: Any) -> None:
    assert client.get("/me/following").status_code == 400
    assert client.get("/me/following", type="user").status_code == 400


def test_album_tracks_page_beyond_50(client: Any) -> None:
    album = next(a["album"] for a in client.user.saved_albums() if a["album"]["total_tracks"] > 50)
    tracks = client.all_pages(f"/albums/{album['id']}/tracks", limit=50)
    assert len(tracks) == album["total_tracks"] == 64
    assert [t["track_number"] for t in tracks[:3]] == [1, 2, 3]
    assert {t["disc_number"] for t in tracks} == {1, 2}
    # spotipy asks with a trailing slash.
    assert client.json(f"/albums/{album['id']}/tracks/", limit=5)["total"] == 64
