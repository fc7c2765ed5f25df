"""A user can never see another user's saves, diffs or library: 404, no existence leak."""

from __future__ import annotations

from typing import Any

from teststack.stack import Stack


def test_another_users_saves_and_items_are_not_found(stack: Stack, api_for: Any) -> None:
    alice = api_for(stack, "alice")
    bob = api_for(stack, "bob")
    first = alice.save()
    second = alice.save()
    playlist = alice.all("/api/v1/playlists")[0]["id"]

    attempts = [
        bob.get(f"/api/v1/library/saves/{second['id']}"),
        bob.get(f"/api/v1/library/saves/{second['id']}/events"),
        bob.get("/api/v1/library/diff", **{"from": first["id"], "to": second["id"]}),
        bob.get("/api/v1/library/diff", to=second["id"]),
        bob.get("/api/v1/tracks", save=second["id"]),
        bob.get("/api/v1/playlists", save=second["id"]),
        bob.get(f"/api/v1/playlists/{playlist}", save=second["id"]),
        bob.get(f"/api/v1/playlists/{playlist}/tracks", save=second["id"]),
    ]
    unknown = bob.get(f"/api/v1/library/saves/{'0' * 32}")
    for answer in attempts:
        assert answer.status_code == 404, answer.text
        # Exactly what a save that never existed answers.
        assert answer.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    # Bob's own reads show nothing of Alice's library.
    assert bob.get("/api/v1/library/saves").json()["total"] == 0
    for path in ("/api/v1/tracks", "/api/v1/playlists", "/api/v1/albums", "/api/v1/artists"):
        body = bob.get(path).json()
        assert body["items"] == [] and body["total"] == 0
    assert bob.get(f"/api/v1/playlists/{playlist}").status_code == 404
    assert bob.get("/api/v1/library/diff").status_code == 404
