"""Library reads carry an ETag (a page of a save never changes) and answer 304 to a matching
If-None-Match; the gateway's read cache never answers with an older save's page, another
user's page, or for a token that was logged out (docs/api.md "Library reads")."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from teststack.stack import Stack

TAGGED_READS = [
    "/api/v1/playlists",
    "/api/v1/tracks",
    "/api/v1/albums",
    "/api/v1/artists",
]


def _playlist_with_items(api: Any) -> str:
    playlists = api.get("/api/v1/playlists", limit=100).json()["items"]
    playlist_id: str = max(playlists, key=lambda p: p["tapedeck"]["items_saved"])["id"]
    return playlist_id


def _revalidate(api: Any, path: str, tag: str, **params: Any) -> requests.Response:
    answer: requests.Response = api.session.get(
        f"{api.url}{path}", params=params, headers={"If-None-Match": tag}, timeout=30
    )
    return answer


def test_reads_carry_a_private_etag_and_answer_304_when_it_matches(stack: Stack, api: Any) -> None:
    api.save()
    playlist_id = _playlist_with_items(api)
    for path, params in [
        *((p, {}) for p in TAGGED_READS),
        (f"/api/v1/playlists/{playlist_id}", {}),
        (f"/api/v1/playlists/{playlist_id}/tracks", {"limit": 100}),
        (f"/api/v1/playlists/{playlist_id}/tracks", {"limit": 10, "offset": 20}),
    ]:
        first = api.get(path, **params)
        assert first.status_code == 200, (path, first.text)
        tag = first.headers["ETag"]
        assert tag.startswith('"') and tag.endswith('"')
        assert first.headers["Cache-Control"] == "private, no-cache"
        again = _revalidate(api, path, tag, **params)
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == "private, no-cache"
        # A weak form of the tag, or one of several, matches too; another does not.
        assert _revalidate(api, path, f'"x", W/{tag}', **params).status_code == 304
        changed = _revalidate(api, path, '"something-else"', **params)
        assert changed.status_code == 200 and changed.json() == first.json()


def test_each_page_has_its_own_tag(stack: Stack, api: Any) -> None:
    api.save(kinds=["playlists"])
    playlist_id = _playlist_with_items(api)
    path = f"/api/v1/playlists/{playlist_id}/tracks"
    first = api.get(path, limit=10, offset=0)
    second = api.get(path, limit=10, offset=10)
    assert first.json()["items"] != second.json()["items"]
    assert first.headers["ETag"] != second.headers["ETag"]
    assert _revalidate(api, path, first.headers["ETag"], limit=10, offset=10).status_code == 200


def test_a_new_save_changes_the_tag_and_the_body(stack: Stack, api: Any) -> None:
    api.save()
    playlist_id = _playlist_with_items(api)
    tracks_path = f"/api/v1/playlists/{playlist_id}/tracks"
    before_liked = api.get("/api/v1/tracks", limit=100)
    before_items = api.get(tracks_path, limit=100)
    truth = stack.emulator.user("tapedeck-demo")
    truth.like_tracks(2)
    truth.change_playlist(playlist_id, add=2, remove=1)

    api.save()

    for path, before in [("/api/v1/tracks", before_liked), (tracks_path, before_items)]:
        after = _revalidate(api, path, before.headers["ETag"], limit=100)
        assert after.status_code == 200, path
        assert after.headers["ETag"] != before.headers["ETag"]
        assert after.json() != before.json()
    assert api.all("/api/v1/tracks") == truth.saved_tracks()
    assert api.all(tracks_path) == truth.playlist_items(playlist_id)
    # The older save still reads as it was, under its own tag.
    assert before_liked.json()["total"] == len(truth.saved_tracks()) - 2


def test_a_read_right_after_a_save_ends_shows_the_new_save(stack: Stack, api: Any) -> None:
    """The read cache knows which save reads resolve to; a save's end must reach it before a
    client can see the save ended, whether polled or streamed."""
    api.save(kinds=["tracks"])
    truth = stack.emulator.user("tapedeck-demo")
    for round_ in range(3):
        # Hot: answered from the cache, if anything is.
        for _ in range(3):
            assert api.get("/api/v1/tracks", limit=100).status_code == 200
        truth.like_tracks(1)
        if round_ % 2:
            saved = api.save(kinds=["tracks"])
        else:
            started = api.start(kinds=["tracks"])
            events = api.events(started["id"])
            assert events[-1][0] == "done"
            saved = events[-1][1]
        assert saved["status"] == "succeeded"
        page = api.get("/api/v1/tracks", limit=100).json()
        assert page["total"] == len(truth.saved_tracks())
        assert page["items"] == truth.saved_tracks()[:100]


def test_another_users_tag_never_matches(stack: Stack, api_for: Any) -> None:
    alice = api_for(stack, "alice")
    bob = api_for(stack, "bob")
    alice.save()
    bob.save()
    for path in TAGGED_READS:
        alices = alice.get(path)
        bobs = _revalidate(bob, path, alices.headers["ETag"])
        assert bobs.status_code == 200, path
        assert bobs.headers["ETag"] != alices.headers["ETag"]
    # Alice's playlist, asked for by Bob with Alice's tag: not found, as without it.
    playlist_id = _playlist_with_items(alice)
    tag = alice.get(f"/api/v1/playlists/{playlist_id}/tracks").headers["ETag"]
    assert _revalidate(bob, f"/api/v1/playlists/{playlist_id}/tracks", tag).status_code == 404


def test_reads_before_any_save_carry_no_tag(stack: Stack, api: Any) -> None:
    for path in TAGGED_READS:
        answer = api.get(path)
        assert answer.status_code == 200
        assert "ETag" not in answer.headers
        assert _revalidate(api, path, "*").status_code == 200


@pytest.mark.parametrize("revalidate", [False, True])
def test_after_logout_the_cache_does_not_answer(stack: Stack, api: Any, revalidate: bool) -> None:
    api.save()
    playlist_id = _playlist_with_items(api)
    path = f"/api/v1/playlists/{playlist_id}/tracks"
    hot = api.get(path, limit=100)
    for _ in range(3):
        assert api.get(path, limit=100).status_code == 200
    logout = api.post("/auth/logout")
    assert logout.status_code == 204
    answer = (
        _revalidate(api, path, hot.headers["ETag"], limit=100)
        if revalidate
        else api.get(path, limit=100)
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_token"
