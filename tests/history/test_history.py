"""The ledger end to end: the emulator's library is edited between saves (items added,
removed, duplicated, added again, reordered; a playlist renamed, described, unfollowed), and
the history and cumulative views through the gateway say exactly what changed, occurrence by
occurrence, at each save's finished time. No Spotify request answers them."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from typing import Any

import pytest
from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

KINDS = ["playlists", "tracks"]


def _uri(item: dict[str, Any]) -> str:
    obj = item.get("item") or item.get("track") or {}
    return str(obj.get("uri") or "")


def _pick(truth: Any) -> tuple[str, str]:
    """A playlist whose items are 4-10 distinct tracks (P), and another readable one (Q)."""
    chosen = []
    for pid in truth.playlist_ids():
        if truth.items_withheld(pid):
            continue
        uris = [_uri(i) for i in truth.playlist_items(pid)]
        distinct = len(set(uris)) == len(uris)
        if 4 <= len(uris) <= 10 and distinct and all(u.startswith("spotify:track:") for u in uris):
            chosen.append(pid)
    assert len(chosen) >= 2, chosen
    return chosen[0], chosen[1]


def _in_no_playlist(truth: Any) -> str:
    """A liked track that no playlist holds: its history is easy to tell in full."""
    held = {_uri(i) for pid in truth.playlist_ids() for i in truth.playlist_items(pid)}
    for saved in truth.saved_tracks():
        if saved["track"]["uri"] not in held:
            return str(saved["track"]["uri"])
    raise AssertionError("every liked track is in a playlist")


def _tracks_of(truth: Any) -> set[str]:
    """Every track URI in the user's playlists and Liked Songs."""
    held = {_uri(i) for pid in truth.playlist_ids() for i in truth.playlist_items(pid)}
    return held | {s["track"]["uri"] for s in truth.saved_tracks()}


def _changes(events: list[dict[str, Any]], save_id: str) -> set[tuple[Any, ...]]:
    return {
        (e["type"], e["uri"], e["occurrence"], e["position"], e["from_position"])
        for e in events
        if e["save_id"] == save_id
    }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _history(api: Any, pid: str, **params: Any) -> list[dict[str, Any]]:
    return api.all(f"/api/v1/playlists/{pid}/history", **params)  # type: ignore[no-any-return]


def test_five_saves_with_changes_read_back_as_history_and_cumulative(
    stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    p, q = _pick(truth)
    t = [_uri(i) for i in truth.playlist_items(p)]
    objects = {_uri(i): i["item"] for i in truth.playlist_items(p)}
    q_items = truth.playlist_items(q)
    u1 = _in_no_playlist(truth)
    old_name = truth.playlist(p)["name"]
    n = len(t)

    saves = [api.save(KINDS)]
    # Save 2: t1 removed, a second copy of t0 at position 1, U1 added at the end.
    truth.edit_playlist(p, items=[0, 0, *range(2, n), u1])
    saves.append(api.save(KINDS))
    # Save 3: U1 removed, the last track moved to the top, and the playlist renamed.
    truth.edit_playlist(p, items=[n - 1, 0, *range(1, n - 1)], name="Renamed favourites")
    saves.append(api.save(KINDS))
    # Save 4: U1 added again, and a description.
    truth.edit_playlist(p, items=[*range(n), u1], description="now described")
    saves.append(api.save(KINDS))
    # Save 5: Q unfollowed.
    truth.unfollow_playlist(q)
    requests_before = stack.emulator.stats()["total"]
    saves.append(api.save(KINDS))
    assert [s["status"] for s in saves] == ["succeeded"] * 5, saves
    s1, s2, s3, s4, s5 = (s["id"] for s in saves)
    finished = {s["id"]: s["finished_at"] for s in saves}

    # Reading the history asks Spotify nothing.
    requests_after_save = stack.emulator.stats()["total"]
    events = _history(api, p)
    assert stack.emulator.stats()["total"] == requests_after_save > requests_before

    added_first = {("added", uri, 1, pos, None) for pos, uri in enumerate(t)}
    assert _changes(events, s1) == {("playlist_added", None, None, None, None)} | added_first
    assert _changes(events, s2) == {
        ("removed", t[1], 1, 1, None),
        ("added", t[0], 2, 1, None),
        ("added", u1, 1, n, None),
    }
    assert _changes(events, s3) == {
        ("removed", u1, 1, n, None),
        ("moved", t[n - 1], 1, 0, n - 1),
        ("renamed", None, None, None, None),
    }
    assert _changes(events, s4) == {
        ("added", u1, 1, n, None),
        ("description_changed", None, None, None, None),
    }
    assert _changes(events, s5) == set()
    # Newest first, each at its save's finished time, and the names and items as stored.
    assert [e["save_id"] for e in events] == sorted(
        (e["save_id"] for e in events), key=lambda s: finished[s], reverse=True
    )
    assert all(_time(e["at"]) == _time(finished[e["save_id"]]) for e in events)
    renamed = next(e for e in events if e["type"] == "renamed")
    assert (renamed["before"], renamed["after"]) == (old_name, "Renamed favourites")
    described = next(e for e in events if e["type"] == "description_changed")
    assert described["after"] == "now described"
    first_adds = [e for e in events if e["save_id"] == s1 and e["type"] == "added"]
    assert {e["uri"]: e["item"] for e in first_adds} == objects
    assert all(e["added_at"] and e["playlist_id"] == p for e in first_adds)
    only_moves = _history(api, p, type="moved")
    assert [(e["uri"], e["from_position"], e["position"]) for e in only_moves] == [
        (t[n - 1], n - 1, 0)
    ]

    # Q's unfollowing: the playlist and each of its item occurrences went in save 5.
    q_events = _history(api, q)
    gone = [e for e in q_events if e["save_id"] == s5]
    assert [e["type"] for e in gone].count("playlist_removed") == 1
    removed = [e for e in gone if e["type"] != "playlist_removed"]
    assert sorted((e["position"], e["uri"]) for e in removed) == [
        (pos, _uri(i)) for pos, i in enumerate(q_items)
    ]
    assert all(e["type"] == "removed" for e in removed)

    # The cumulative view: both cycles of U1, two rows for t0's two copies, t1 gone.
    cumulative = api.all(f"/api/v1/playlists/{p}/cumulative")
    rows = {(c["uri"], c["occurrence"]): c for c in cumulative}
    assert [(c["uri"], c["occurrence"]) for c in cumulative] == [
        *((uri, 1) for uri in t),
        (t[0], 2),
        (u1, 1),
    ]

    def at(save_id: str) -> str:
        return str(next(e["at"] for e in api.all("/api/v1/history") if e["save_id"] == save_id))

    assert rows[(u1, 1)]["cycles"] == [
        {"added": at(s2), "removed": at(s3)},
        {"added": at(s4), "removed": None},
    ]
    assert rows[(u1, 1)]["present"] is True
    assert rows[(t[0], 1)]["cycles"] == [{"added": at(s1), "removed": None}]
    assert rows[(t[0], 2)]["cycles"] == [{"added": at(s2), "removed": None}]
    assert rows[(t[1], 1)]["present"] is False
    assert rows[(t[1], 1)]["cycles"] == [{"added": at(s1), "removed": at(s2)}]
    assert (rows[(t[1], 1)]["first_seen"], rows[(t[1], 1)]["last_seen"]) == (at(s1), at(s1))
    assert rows[(t[0], 1)]["last_seen"] == at(s5)
    assert rows[(t[0], 1)]["item"] == objects[t[0]]

    # The same as CSV, one row per occurrence.
    answer = api.get(f"/api/v1/exports/playlists/{p}/cumulative.csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0][0] == "Track URI"
    assert [(r[0], int(r[4]), r[8]) for r in table[1:]] == [
        (c["uri"], c["occurrence"], "true" if c["present"] else "false") for c in cumulative
    ]
    assert table[1 + len(t) + 1][9] == f"{at(s2)}/{at(s3)}; {at(s4)}/"

    # Where U1 has been: liked since the first save, in P twice.
    track_id = u1.rsplit(":", 1)[1]
    where = api.all(f"/api/v1/tracks/{track_id}/history")
    assert [(e["save_id"], e["kind"], e["type"], e["playlist_id"]) for e in where] == [
        (s4, "playlists", "added", p),
        (s3, "playlists", "removed", p),
        (s2, "playlists", "added", p),
        (s1, "tracks", "added", None),
    ]

    # The whole library's events, by kind and time.
    everything = api.all("/api/v1/history")
    liked = api.all("/api/v1/history", kind="tracks")
    assert len(liked) == len(truth.saved_tracks()) and {e["save_id"] for e in liked} == {s1}
    assert {e["kind"] for e in everything} == {"playlists", "tracks"}
    since = api.all("/api/v1/history", since=at(s4))
    assert {e["save_id"] for e in since} == {s4, s5}
    until = api.all("/api/v1/history", until=at(s2), type="playlist_added")
    assert {e["save_id"] for e in until} == {s1}
    assert len(until) == len(truth.playlist_ids()) + 1  # Q was still followed then


def test_a_save_killed_midway_leaves_no_events_and_the_next_records_them_once(
    stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    p, _ = _pick(truth)
    n = len(truth.playlist_items(p))
    first = api.save(KINDS)
    assert first["status"] == "succeeded"
    truth.edit_playlist(p, items=[1, 0, 2, 3], name="Edited")
    truth.like_tracks(2)

    # The playlists kind waits in the emulator on P's changed details, while Liked Songs
    # completes; then the library is stopped: the save ends with only tracks completed.
    stack.emulator.set_faults(
        Faults(hold=Hold(2, user="tapedeck-demo", route="GET /v1/playlists/{id}", timeout_s=60))
    )
    killed = api.start(KINDS)
    deadline = time.monotonic() + 30
    while "tracks" not in (s := api.get(f"/api/v1/library/saves/{killed['id']}").json())["counts"]:
        assert time.monotonic() < deadline, s
        time.sleep(0.05)
    stack.restart_library()
    stack.emulator.set_faults(Faults())
    deadline = time.monotonic() + 15
    while (answer := api.get(f"/api/v1/library/saves/{killed['id']}")).status_code != 200 or (
        answer.json()["status"] in ("queued", "running")
    ):
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    assert answer.json()["status"] == "partial"

    everything = api.all("/api/v1/history")
    of_killed = [e for e in everything if e["save_id"] == killed["id"]]
    assert {(e["kind"], e["type"]) for e in of_killed} == {("tracks", "added")}
    assert len(of_killed) == 2
    assert not [e for e in _history(api, p) if e["save_id"] == killed["id"]]

    after = api.save(KINDS)
    assert after["status"] == "succeeded"
    edits = [e for e in _history(api, p) if e["save_id"] != first["id"]]
    assert {e["save_id"] for e in edits} == {after["id"]}
    assert sorted(e["type"] for e in edits) == ["moved", *["removed"] * (n - 4), "renamed"]
    # Liked Songs' two adds are the killed save's, and not told again.
    liked_adds = [
        e for e in api.all("/api/v1/history", kind="tracks") if e["save_id"] != first["id"]
    ]
    assert [e["save_id"] for e in liked_adds] == [killed["id"]] * 2


def test_history_of_unknown_or_anothers_ids_is_404_and_bad_filters_are_refused(
    stack: Stack, api: Any, api_for: Any
) -> None:
    other = api_for(stack, "someone-else")
    assert other.save(KINDS)["status"] == "succeeded"
    assert api.save(KINDS)["status"] == "succeeded"
    theirs = other.all("/api/v1/playlists")[0]["id"]
    me, them = stack.emulator.user("tapedeck-demo"), stack.emulator.user("someone-else")
    assert theirs not in {p["id"] for p in api.all("/api/v1/playlists")}
    their_track = next(iter(_tracks_of(them) - _tracks_of(me))).rsplit(":", 1)[1]
    for path in (
        f"/api/v1/playlists/{theirs}/history",
        f"/api/v1/playlists/{theirs}/cumulative",
        f"/api/v1/exports/playlists/{theirs}/cumulative.csv",
        f"/api/v1/tracks/{their_track}/history",
        "/api/v1/playlists/0000000000000000000000/history",
        "/api/v1/playlists/not-an-id!/cumulative",
        "/api/v1/tracks/0000000000000000000000/history",
    ):
        answer = api.get(path)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    # Their own reads answer.
    assert other.get(f"/api/v1/playlists/{theirs}/history").status_code == 200
    assert other.get(f"/api/v1/tracks/{their_track}/history").status_code == 200
    for params in ({"type": "exploded"}, {"kind": "shows"}, {"since": "yesterday"}, {"limit": 0}):
        answer = api.get("/api/v1/history", **params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert answer.json()["error"]["status"] == answer.status_code
    # Nothing was lost: the history still answers.
    assert api.get("/api/v1/history").json()["total"] > 0


@pytest.fixture(autouse=True)
def _no_faults_left(stack: Stack) -> Any:
    yield
    stack.emulator.set_faults(Faults())


def test_a_playlist_whose_items_become_visible_gains_them(stack: Stack, api: Any) -> None:
    """In 2026 mode Spotify withholds the items of playlists the user neither owns nor
    collaborates on; an app with the older access sees them. The ledger tells the change."""
    truth = stack.emulator.user("tapedeck-demo")
    withheld = [pid for pid in truth.playlist_ids() if truth.items_withheld(pid)]
    assert withheld
    first = api.save(["playlists"])
    assert [e["type"] for e in _history(api, withheld[0])] == ["withheld", "playlist_added"]
    stack.emulator.set_mode("legacy")
    second = api.save(["playlists"], full=True)
    assert second["status"] == "succeeded", second
    events = [e for e in _history(api, withheld[0]) if e["save_id"] == second["id"]]
    items = truth.playlist_items(withheld[0])
    assert [e["type"] for e in events].count("visible") == 1
    assert sorted((e["position"], e["uri"]) for e in events if e["type"] == "added") == [
        (pos, _uri(i)) for pos, i in enumerate(items)
    ]
    # Nothing else changed: the other playlists' items are the same, only their shape is not.
    changes = [e for e in api.all("/api/v1/history") if e["save_id"] == second["id"]]
    assert {e["playlist_id"] for e in changes} == set(withheld)
    assert {e["type"] for e in changes} == {"visible", "added"}
    assert first["id"] != second["id"]
