"""Spotify's `fields` filter on playlist routes."""

from __future__ import annotations

from typing import Any


def own_playlist(client: Any) -> str:
    return next(
        p["id"]
        for p in client.user.playlists_simplified()
        if p["owner"]["id"] == "alice" and p["items"]["total"] > 5
    )


def test_fields_pick_nested_values(client: Any) -> None:
    pid = own_playlist(client)
    page = client.json(
        f"/playlists/{pid}/items", fields="total,items(added_by.id,item(name,album(name)))"
    )
    truth = client.user.playlist_items(pid)
    assert set(page) == {"items", "total"}
    first = page["items"][0]
    assert first == {
        "added_by": {"id": "alice"},
        "item": {
            "name": truth[0]["item"]["name"],
            "album": {"name": truth[0]["item"]["album"]["name"]},
        },
    }


def test_fields_exclusions_and_the_playlist_route(client: Any) -> None:
    pid = own_playlist(client)
    playlist = client.json(
        f"/playlists/{pid}", fields="name,snapshot_id,owner(!external_urls,href)"
    )
    truth = client.user.playlist(pid)
    assert playlist == {
        "name": truth["name"],
        "snapshot_id": truth["snapshot_id"],
        "owner": {k: v for k, v in truth["owner"].items() if k not in ("external_urls", "href")},
    }


def test_bad_fields_are_refused(client: Any) -> None:
    pid = own_playlist(client)
    assert client.get(f"/playlists/{pid}", fields="items(name").status_code == 400
    assert client.get(f"/playlists/{pid}", fields="a,,b").status_code == 400
