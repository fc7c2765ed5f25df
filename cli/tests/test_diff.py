"""diff: what changed between two saves, for people and as JSON."""

from __future__ import annotations

from typing import Any

from teststack.stack import Stack

USER = "tapedeck-demo"
Cli = Any


def test_diff_shows_what_changed_between_the_last_two_saves(
    logged_in: Cli, stack: Stack, api: Any
) -> None:
    first = logged_in.json("save", "--wait")
    only = logged_in.ok("diff").stdout
    assert "nothing to compare" in only

    user = stack.emulator.user(USER)
    listed = api.get("/api/v1/playlists").json()["items"]
    owned = next(p for p in listed if p["name"] == "Favourites")
    user.change_playlist(owned["id"], add=2, remove=1)
    liked = user.like_tracks(1)
    second = logged_in.json("save", "--wait")

    changes = logged_in.json("diff")
    assert changes == api.get("/api/v1/library/diff").json()
    assert (changes["from"], changes["to"]) == (first["id"], second["id"])
    [changed] = changes["playlists"]["changed"]
    assert changed["id"] == owned["id"]
    assert (len(changed["tracks_added"]), len(changed["tracks_removed"])) == (2, 1)
    assert [t["id"] for t in changes["tracks"]["added"]] == liked

    text = logged_in.ok("diff", first["id"], second["id"]).stdout
    assert "~ Favourites: 2 added, 1 removed" in text
    added = changes["tracks"]["added"][0]["name"]
    assert f"  + {added}" in text
    # The other way round, what was added is removed.
    backwards = logged_in.ok("diff", second["id"], first["id"]).stdout
    assert f"  - {added}" in backwards

    # Reads of the older save, with --save.
    old = logged_in.json("ls", "tracks", "--save", first["id"])
    assert [saved["track"]["id"] for saved in old] == [
        saved["track"]["id"]
        for saved in api.get("/api/v1/tracks", save=first["id"], limit=100).json()["items"]
    ]
    assert liked[0] not in [saved["track"]["id"] for saved in old]

    # The playlist's history: its items as first saved, then the two added and the one removed.
    events = logged_in.json("history", owned["id"])
    newest = [e for e in events if e["save_id"] == second["id"]]
    assert sorted(e["type"] for e in newest) == ["added", "added", "removed"]
    assert events == api.get(f"/api/v1/playlists/{owned['id']}/history", limit=100).json()["items"]
