"""What a new user meets reading before and after a first save: an unknown playlist is named
as such, and an empty list read before any save of its kind says why in `Tapedeck-Notice`
(docs/api.md "Which save a read sees")."""

from __future__ import annotations

from typing import Any

from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

NOTICE = "Tapedeck-Notice"
READS = ["/api/v1/playlists", "/api/v1/tracks", "/api/v1/albums", "/api/v1/artists"]
UNKNOWN_PLAYLIST = "0000000000000000000000"


def test_an_unknown_playlist_is_no_such_playlist(stack: Stack, api: Any) -> None:
    api.save(kinds=["playlists"])
    for path in (
        f"/api/v1/playlists/{UNKNOWN_PLAYLIST}",
        f"/api/v1/playlists/{UNKNOWN_PLAYLIST}/tracks",
    ):
        answer = api.get(path)
        assert answer.status_code == 404, answer.text
        # The wording is the point: a person never hears of versions.
        assert answer.json() == {
            "error": {"status": 404, "code": "not_found", "message": "no such playlist"}
        }


def test_reads_before_any_save_keep_their_empty_page_and_say_why(stack: Stack, api: Any) -> None:
    for path in [*READS, f"/api/v1/playlists/{UNKNOWN_PLAYLIST}/tracks"]:
        answer = api.get(path)
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == 0 and answer.json()["items"] == []
        assert "POST /api/v1/library/saves" in answer.headers[NOTICE], path


def test_the_notice_goes_once_a_save_has_completed_the_kind(stack: Stack, api: Any) -> None:
    api.save(kinds=["artists"])
    assert NOTICE not in api.get("/api/v1/artists").headers
    # The other kinds are still unsaved, and still say so.
    for path in ("/api/v1/playlists", "/api/v1/tracks", "/api/v1/albums"):
        assert NOTICE in api.get(path).headers, path


def test_a_kind_truly_empty_after_a_save_has_no_notice(stack: Stack, api: Any) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    truth.unfollow_artists(len(truth.followed_artists()))
    saved = api.save(kinds=["artists"])
    assert saved["counts"] == {"artists": 0}
    answer = api.get("/api/v1/artists")
    assert answer.json()["total"] == 0
    assert NOTICE not in answer.headers


def test_while_the_first_save_runs_the_notice_says_it_is_under_way(stack: Stack, api: Any) -> None:
    # Spotify answers nothing until released: the save is under way, however fast.
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    running = api.start(kinds=["tracks"])
    try:
        answer = api.get("/api/v1/tracks")
        assert answer.json()["total"] == 0
        assert "under way" in answer.headers[NOTICE]
        # A kind the running save does not include is simply unsaved.
        assert "POST /api/v1/library/saves" in api.get("/api/v1/albums").headers[NOTICE]
    finally:
        stack.emulator.set_faults(Faults())
    api.wait(running["id"])
    assert NOTICE not in api.get("/api/v1/tracks").headers


def test_a_read_of_a_named_save_has_no_notice(stack: Stack, api: Any) -> None:
    saved = api.save(kinds=["artists"])
    answer = api.get("/api/v1/artists", save=saved["id"])
    assert answer.status_code == 200
    assert NOTICE not in answer.headers
