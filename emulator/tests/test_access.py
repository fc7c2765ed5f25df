"""What each mode lets an app read: 2026 development-mode rules versus the legacy shape."""

from __future__ import annotations

from typing import Any

import pytest

from spotify_emulator import Emulator

NOT_FOUND = {"error": {"status": 404, "message": "Service not found"}}


def by_owner(client: Any) -> dict[str, dict[str, Any]]:
    """One playlist of each kind: own, another user's collaborative, another user's."""
    found: dict[str, dict[str, Any]] = {}
    for p in client.user.playlists_simplified():
        kind = "own" if p["owner"]["id"] == "alice" else "collab" if p["collaborative"] else "other"
        found.setdefault(kind, p)
    assert set(found) == {"own", "collab", "other"}
    return found


def test_2026_withholds_items_of_other_users_playlists(client: Any) -> None:
    kinds = by_owner(client)
    other = kinds["other"]["id"]
    assert client.get(f"/playlists/{other}/items").status_code == 403
    assert client.get(f"/playlists/{other}/items").json() == {
        "error": {"status": 403, "message": "Forbidden"}
    }
    assert client.user.items_withheld(other)
    assert client.user.playlist_items(other) == []
    full = client.json(f"/playlists/{other}")
    assert full["items"] is None and "tracks" not in full
    # The summary still says how many items there are.
    assert kinds["other"]["items"]["total"] == 25
    for readable in (kinds["own"]["id"], kinds["collab"]["id"]):
        assert client.get(f"/playlists/{readable}/items").status_code == 200
        assert not client.user.items_withheld(readable)


def test_legacy_reads_every_playlist(make_emu: Any, client_for: Any) -> None:
    client = client_for(make_emu(mode="legacy"))
    other = by_owner(client)["other"]["id"]
    page = client.json(f"/playlists/{other}/items")
    assert page["total"] == 25 and "track" in page["items"][0] and "item" not in page["items"][0]
    assert client.json(f"/playlists/{other}/tracks")["items"] == page["items"]
    assert not client.user.items_withheld(other)
    full = client.json(f"/playlists/{other}")
    assert full["tracks"]["total"] == 25 and "items" not in full


def test_the_2026_shape(client: Any) -> None:
    me = client.json("/me")
    assert "email" not in me and "country" not in me and "product" not in me
    summary = client.json("/me/playlists")["items"][0]
    assert "items" in summary and "tracks" not in summary
    assert set(summary["items"]) == {"href", "total"}
    assert summary["items"]["href"].endswith(f"/playlists/{summary['id']}/items")
    pid = by_owner(client)["own"]["id"]
    item = client.json(f"/playlists/{pid}/items")["items"][0]
    assert set(item) == {
        "added_at", "added_by", "is_local", "item", "primary_color", "video_thumbnail"
    }  # fmt: skip
    assert item["video_thumbnail"] == {"url": None} and item["primary_color"] is None


def test_the_legacy_shape(make_emu: Any, client_for: Any) -> None:
    client = client_for(make_emu(mode="legacy"))
    me = client.json("/me")
    assert me["email"] and me["country"] and me["product"] == "premium"
    summary = client.json("/me/playlists")["items"][0]
    assert "tracks" in summary and "items" not in summary
    assert summary["tracks"]["href"].endswith(f"/playlists/{summary['id']}/tracks")


@pytest.mark.parametrize(
    "path",
    [
        "/users/alice/playlists",
        "/tracks?ids={track}",
        "/albums?ids={album}",
        "/artists?ids={artist}",
        "/playlists/{playlist}/tracks",
    ],
)
def test_routes_gone_in_2026_are_there_in_legacy(make_emu: Any, client_for: Any, path: str) -> None:
    modern = client_for(make_emu(mode="2026"))
    user = modern.user
    url = path.format(
        track=user.saved_tracks()[0]["track"]["id"],
        album=user.saved_albums()[0]["album"]["id"],
        artist=user.followed_artists()[0]["id"],
        playlist=by_owner(modern)["own"]["id"],
    )
    gone = modern.get(url)
    assert gone.status_code == 404 and gone.json() == NOT_FOUND
    legacy = client_for(make_emu(mode="legacy"))
    assert legacy.get(url).status_code == 200


def test_bulk_lookups_in_legacy_mode(make_emu: Any, client_for: Any) -> None:
    client = client_for(make_emu(mode="legacy"))
    tracks = [s["track"] for s in client.user.saved_tracks()[:3]]
    ids = ",".join(t["id"] for t in tracks)
    assert client.json("/tracks", ids=ids + ",0000000000000000000000")["tracks"] == [*tracks, None]
    assert client.get("/tracks", ids=",".join(["x"] * 51)).status_code == 400


def test_single_lookups_stay_in_2026(client: Any) -> None:
    saved = client.user.saved_tracks()[0]["track"]
    assert client.json(f"/tracks/{saved['id']}") == saved
    assert (
        client.json(f"/artists/{saved['artists'][0]['id']}")["name"] == saved["artists"][0]["name"]
    )
    assert client.get("/tracks/0000000000000000000000").status_code == 404
    assert client.get("/tracks/not-base62!").status_code == 400
    assert client.get("/playlists/0000000000000000000000").status_code == 404
    assert client.get("/nothing/here").json() == NOT_FOUND


def test_switching_mode_changes_the_shape_at_once(emu: Emulator, client: Any) -> None:
    pid = by_owner(client)["own"]["id"]
    assert "item" in client.json(f"/playlists/{pid}/items")["items"][0]
    emu.set_mode("legacy")
    assert "track" in client.json(f"/playlists/{pid}/items")["items"][0]
    assert client.user.playlist_items(pid)[0].keys() >= {"track"}
    emu.set_mode("2026")
    assert client.get(f"/playlists/{pid}/tracks").status_code == 404


def test_library_scopes_are_enforced(emu: Emulator, client_for: Any) -> None:
    client = client_for(emu, "alice", scope="playlist-read-private")
    assert client.get("/me/playlists").status_code == 200
    for path, params in (
        ("/me/tracks", {}),
        ("/me/albums", {}),
        ("/me/following", {"type": "artist"}),
    ):
        answer = client.get(path, **params)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["message"] == "Insufficient client scope"
