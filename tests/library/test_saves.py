"""Saves through the gateway: partial saves by kind, one running save per user, history,
and what changed between saves."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from teststack.fixtures import make_emulator
from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold


def _item_id(item: dict[str, Any]) -> str:
    """The id of a playlist item's object, in either of Spotify's shapes."""
    obj = item.get("item") or item.get("track") or {}
    return str(obj.get("id"))


def test_a_save_of_liked_songs_alone_leaves_the_other_kinds_on_their_last_save(
    stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    first = api.save()
    artists_then = truth.followed_artists()
    truth.like_tracks(3)
    truth.unfollow_artists(2)
    second = api.save(kinds=["tracks"])
    assert second["status"] == "succeeded"
    assert second["kinds"] == ["tracks"]
    assert list(second["progress"]) == ["tracks"]
    assert api.all("/api/v1/tracks") == truth.saved_tracks()
    # Artists were not part of that save: they still read from the first.
    assert api.all("/api/v1/artists") == artists_then
    assert api.all("/api/v1/artists", save=first["id"]) == artists_then
    assert len(api.all("/api/v1/tracks", save=first["id"])) == len(truth.saved_tracks()) - 3
    for path in ("/api/v1/artists", "/api/v1/albums", "/api/v1/playlists"):
        answer = api.get(path, save=second["id"])
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "not_found"


def test_a_second_save_while_one_runs_gets_409_with_the_running_save(
    stack: Stack, api: Any
) -> None:
    # Spotify answers nothing until released: the first save is running, however fast.
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    first = api.start()
    again = api.post("/api/v1/library/saves", {"kinds": ["tracks"], "full": True})
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["error"]["code"] == "conflict"
    assert body["save"]["id"] == first["id"]
    assert body["save"]["status"] in ("queued", "running")
    stack.emulator.set_faults(Faults())
    assert api.wait(first["id"])["status"] == "succeeded"
    assert api.save(kinds=["tracks"])["status"] == "succeeded"


def test_racing_save_requests_start_exactly_one(stack: Stack, api: Any) -> None:
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    answers: list[int] = []

    def start() -> None:
        answers.append(api.post("/api/v1/library/saves").status_code)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [202] + [409] * 5
    stack.emulator.set_faults(Faults())


def test_saves_are_listed_newest_first_with_paging(stack: Stack, api: Any) -> None:
    ids = [api.save(kinds=["artists"])["id"] for _ in range(3)]
    page = api.get("/api/v1/library/saves", limit=2)
    assert page.status_code == 200
    body = page.json()
    assert [s["id"] for s in body["items"]] == ids[::-1][:2]
    assert body["total"] == 3 and body["offset"] == 0 and body["limit"] == 2
    assert body["previous"] is None and body["next"].startswith(stack.url)
    rest = api.session.get(body["next"], timeout=10).json()
    assert [s["id"] for s in rest["items"]] == ids[:1]
    assert rest["next"] is None


def test_the_diff_names_exactly_the_changed_playlists(stack: Stack, api: Any) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    first = api.save()
    owned = [
        p["id"]
        for p in truth.playlists_simplified()
        if not truth.items_withheld(p["id"]) and len(truth.playlist_items(p["id"])) > 2
    ][:2]
    assert len(owned) == 2
    before = {pid: truth.playlist_items(pid) for pid in owned}
    for pid in owned:
        truth.change_playlist(pid, add=2, remove=1)
    second = api.save()
    assert second["status"] == "succeeded"

    diff = api.get("/api/v1/library/diff")
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert (body["from"], body["to"]) == (first["id"], second["id"])
    assert sorted(c["id"] for c in body["playlists"]["changed"]) == sorted(owned)
    for changed in body["playlists"]["changed"]:
        old = Counter(_item_id(i) for i in before[changed["id"]])
        new = Counter(_item_id(i) for i in truth.playlist_items(changed["id"]))
        assert Counter(r["id"] for r in changed["tracks_added"]) == new - old
        assert Counter(r["id"] for r in changed["tracks_removed"]) == old - new
        assert sum((new - old).values()) == 2 and sum((old - new).values()) == 1
    assert body["playlists"]["added"] == [] and body["playlists"]["removed"] == []
    for kind in ("tracks", "albums", "artists"):
        assert body[kind] == {"added": [], "removed": []}
    # The same, named explicitly.
    explicit = api.get("/api/v1/library/diff", **{"from": first["id"], "to": second["id"]})
    assert explicit.json() == body


def test_liked_songs_added_and_removed_show_in_the_diff(stack: Stack, api: Any) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    api.save()
    before = {t["track"]["id"] for t in truth.saved_tracks()}
    truth.like_tracks(2)
    truth.unlike_tracks(1)
    api.save()
    after = {t["track"]["id"] for t in truth.saved_tracks()}
    body = api.get("/api/v1/library/diff").json()
    assert {r["id"] for r in body["tracks"]["added"]} == after - before
    assert {r["id"] for r in body["tracks"]["removed"]} == before - after
    assert body["playlists"]["changed"] == []


def test_a_quiet_event_stream_carries_keep_alive_comments(tmp_path: Path, api_for: Any) -> None:
    emulator = make_emulator()
    stack = Stack.start(emulator, tmp_path, gateway_overrides={"sse_keepalive_s": 0.2})
    try:
        api = api_for(stack)
        # Spotify answers nothing until released: the stream stays quiet meanwhile.
        emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
        started = api.start(kinds=["artists"])
        answer = api.session.get(
            f"{api.url}/api/v1/library/saves/{started['id']}/events", stream=True, timeout=60
        )
        assert answer.status_code == 200
        stream = answer.iter_lines(decode_unicode=True)
        lines: list[str] = []
        while lines.count(": keep-alive") < 2:
            lines.append(next(stream))
        emulator.set_faults(Faults())
        lines.extend(stream)
        # Comments sit between events, and the stream still ends with the final state.
        events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
        assert events[-1] == "done" and set(events[:-1]) == {"progress"}
        final = json.loads(lines[lines.index("event: done") + 1].removeprefix("data: "))
        assert final["status"] == "succeeded"
    finally:
        stack.stop()
        emulator.stop()
