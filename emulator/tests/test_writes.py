"""The write endpoints a restore uses: what they change, their limits, their scopes, and
the faults injected into writes alone."""

from __future__ import annotations

from typing import Any

import requests

from spotify_emulator import Emulator, EmulatorConfig, Faults
from spotify_emulator.emulator import ALL_SCOPES, WRITE_SCOPES


class Writer:
    def __init__(self, emu: Emulator, user: str = "alice", scope: str = "") -> None:
        self.emu = emu
        token = emu.issue_token(user, scope or f"{ALL_SCOPES} {WRITE_SCOPES}")["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.user = emu.user(user)

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.emu.api_url + path, headers=self.headers, timeout=10, **kwargs
        )


def uris(items: list[dict[str, Any]]) -> list[str]:
    return [i["item"]["uri"] for i in items]


def tracks(writer: Writer, n: int) -> list[str]:
    return [s["track"]["uri"] for s in writer.user.saved_tracks()[:n]]


def test_create_then_add_at_positions_keeps_order_and_duplicates(emu: Emulator) -> None:
    w = Writer(emu)
    made = w.send("POST", "/me/playlists", json={"name": "Back", "public": False})
    assert made.status_code == 201
    pid = made.json()["id"]
    assert w.user.playlist_ids()[0] == pid  # new playlists come first
    a, b, c = tracks(w, 3)
    assert w.send("POST", f"/playlists/{pid}/items", json={"uris": [a, b, a]}).status_code == 201
    answer = w.send("POST", f"/playlists/{pid}/items", json={"uris": [c], "position": 1})
    assert answer.status_code == 201 and answer.json()["snapshot_id"]
    assert uris(w.user.playlist_items(pid)) == [a, c, b, a]
    assert emu.writes() == {
        "POST /v1/me/playlists": 1,
        "POST /v1/playlists/{id}/items": 2,
        "total": 3,
    }


def test_remove_takes_every_occurrence_and_replace_sets_the_whole_list(emu: Emulator) -> None:
    w = Writer(emu)
    pid = w.send("POST", "/me/playlists", json={"name": "X"}).json()["id"]
    a, b = tracks(w, 2)
    w.send("POST", f"/playlists/{pid}/items", json={"uris": [a, b, a]})
    assert w.send("DELETE", f"/playlists/{pid}/items", json={"items": [{"uri": a}]}).ok
    assert uris(w.user.playlist_items(pid)) == [b]
    assert w.send("PUT", f"/playlists/{pid}/items", json={"uris": [a, a]}).status_code == 200
    assert uris(w.user.playlist_items(pid)) == [a, a]


def test_limits_and_bad_uris_answer_400_and_change_nothing(emu: Emulator) -> None:
    w = Writer(emu)
    pid = w.send("POST", "/me/playlists", json={"name": "X"}).json()["id"]
    (a,) = tracks(w, 1)
    too_many = w.send("POST", f"/playlists/{pid}/items", json={"uris": [a] * 101})
    bad = w.send("POST", f"/playlists/{pid}/items", json={"uris": [a, "spotify:track:nope!"]})
    local = w.send("POST", f"/playlists/{pid}/items", json={"uris": ["spotify:local:a:b:c:1"]})
    assert (too_many.status_code, bad.status_code, local.status_code) == (400, 400, 400)
    assert w.user.playlist_items(pid) == []
    forty_one = ",".join([a] * 41)
    assert w.send("PUT", "/me/library", params={"uris": forty_one}).status_code == 400
    artist = "spotify:artist:" + w.user.followed_artists()[0]["id"]
    assert w.send("PUT", "/me/library", params={"uris": artist}).status_code == 400


def test_library_save_and_remove_and_playlist_unfollow(emu: Emulator) -> None:
    w = Writer(emu, "bob")
    other = Writer(emu, "carol")
    had = {s["track"]["uri"] for s in w.user.saved_tracks()}
    liked = [u for u in tracks(other, 60) if u not in had][:3]
    have = {s["album"]["uri"] for s in w.user.saved_albums()}
    album = next(
        a["album"]["uri"] for a in other.user.saved_albums() if a["album"]["uri"] not in have
    )
    assert w.send("PUT", "/me/library", params={"uris": ",".join([*liked, album])}).ok
    mine = [s["track"]["uri"] for s in w.user.saved_tracks()]
    assert mine[:3] == liked[::-1]  # each saved on top of the last
    assert w.user.saved_albums()[0]["album"]["uri"] == album
    pid = w.user.playlist_ids()[0]
    assert w.send("DELETE", "/me/library", params={"uris": f"spotify:playlist:{pid}"}).ok
    assert pid not in w.user.playlist_ids()


def test_writes_need_write_scopes_and_the_users_own_playlist(emu: Emulator) -> None:
    reader = Writer(emu, "alice", scope=ALL_SCOPES)
    assert reader.send("POST", "/me/playlists", json={"name": "X"}).status_code == 403
    (a,) = tracks(reader, 1)
    assert reader.send("PUT", "/me/library", params={"uris": a}).status_code == 403
    theirs = next(
        p["id"]
        for p in reader.user.playlists_simplified()
        if p["owner"]["id"] != "alice" and not p["collaborative"]
    )
    writer = Writer(emu, "alice")
    assert writer.send("POST", f"/playlists/{theirs}/items", json={"uris": [a]}).status_code == 403


def test_old_create_route_is_gone_in_2026_mode(emu: Emulator) -> None:
    w = Writer(emu)
    assert w.send("POST", "/users/alice/playlists", json={"name": "X"}).status_code == 403
    assert w.send("PUT", "/me/following", params={"type": "artist", "ids": "x"}).status_code == 404


def test_write_faults_fail_writes_only_before_or_after_applying(make_emu: Any) -> None:
    emu = make_emu(faults=Faults(write_error_rate=1.0))
    w = Writer(emu)
    assert w.send("GET", "/me/playlists").status_code == 200
    assert w.send("POST", "/me/playlists", json={"name": "X"}).status_code >= 500
    before = len(w.user.playlist_ids())
    emu.set_faults(Faults(write_error_rate=1.0, write_error_applied=True))
    assert w.send("POST", "/me/playlists", json={"name": "Y"}).status_code >= 500
    assert len(w.user.playlist_ids()) == before + 1  # made, though the answer was a 5xx


def test_writes_survive_a_restart_through_the_state_file(tmp_path: Any) -> None:
    config = EmulatorConfig(state_file=tmp_path / "state.json")
    with Emulator(config).start() as emu:
        w = Writer(emu)
        pid = w.send("POST", "/me/playlists", json={"name": "Kept"}).json()["id"]
        (a,) = tracks(w, 1)
        w.send("POST", f"/playlists/{pid}/items", json={"uris": [a, a]})
        before = [(i["added_at"], i["item"]["uri"]) for i in w.user.playlist_items(pid)]
    with Emulator(config).start() as again:
        after = again.user("alice").playlist_items(pid)
        assert [(i["added_at"], i["item"]["uri"]) for i in after] == before == [before[0]] * 2


def test_write_counts_are_read_over_the_admin_api_too(emu: Emulator) -> None:
    w = Writer(emu)
    w.send("POST", "/me/playlists", json={"name": "X"})
    w.send("GET", "/me/playlists")
    answer = requests.get(f"{emu.base_url}/_emulator/writes", timeout=10)
    assert answer.json() == {"POST /v1/me/playlists": 1, "total": 1}


def test_old_track_save_keeps_given_dates_for_extended_quota_apps_only(tmp_path: Any) -> None:
    config = EmulatorConfig(mode="legacy", state_file=tmp_path / "state.json")
    with Emulator(config).start() as emu:
        w, other = Writer(emu, "bob"), Writer(emu, "carol")
        saved = w.user.saved_tracks()
        had = {s["track"]["uri"] for s in saved}
        new = [u.split(":")[2] for u in tracks(other, 60) if u not in had][:2]
        oldest, newest = saved[-1]["added_at"], saved[0]["added_at"]
        dated = [
            {"id": new[0], "added_at": "2001-02-03T04:05:06Z"},  # before every other
            {"id": new[1], "added_at": newest},  # same time as the newest: saved later, above
        ]
        assert w.send("PUT", "/me/tracks", json={"timestamped_ids": dated}).status_code == 200
        after = w.user.saved_tracks()
        assert [(s["track"]["id"], s["added_at"]) for s in (after[0], after[-1])] == [
            (new[1], newest),
            (new[0], "2001-02-03T04:05:06Z"),
        ]
        assert after[-2]["added_at"] == oldest and len(after) == len(saved) + 2
        # Refused whole: over 50, a bad time, an unknown id, no library scope.
        many = [{"id": new[0], "added_at": newest}] * 51
        bad_time = [{"id": new[0], "added_at": "yesterday"}]
        unknown = [{"id": "A" * 22, "added_at": newest}]
        for body in (many, bad_time, unknown):
            answer = w.send("PUT", "/me/tracks", json={"timestamped_ids": body})
            assert answer.status_code == 400, answer.text
        reader = Writer(emu, "bob", scope=ALL_SCOPES)
        assert reader.send("PUT", "/me/tracks", json={"timestamped_ids": dated}).status_code == 403
        assert w.user.saved_tracks() == after
        emu.set_mode("2026")
        refused = w.send("PUT", "/me/tracks", json={"timestamped_ids": dated[:1]})
        assert refused.status_code == 403
        assert emu.writes()["PUT /v1/me/tracks"] == 6
    with Emulator(config).start() as again:
        replayed = again.user("bob").saved_tracks()
        assert [(s["track"]["id"], s["added_at"]) for s in replayed] == [
            (s["track"]["id"], s["added_at"]) for s in after
        ]
