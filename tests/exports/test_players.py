"""The exports for music players (docs/api.md "Exports"): the iTunes Library XML and a
playlist's M3U8, through the whole stack on the emulator. Finished downloads are recorded
through the download service's store, as its workers will record them."""

from __future__ import annotations

import base64
import json
import plistlib
from pathlib import Path
from typing import Any

from teststack.stack import Stack

from gateway.exports import names
from gateway.exports.exportify import track_of
from spotify_emulator import Emulator

FILE_MS = 123_456


def _user_id(api: Any) -> str:
    """The Tapedeck user id: the subject of the api's login JWT."""
    token = api.session.headers["Authorization"].removeprefix("Bearer ")
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


def _tracks(items: list[dict[str, Any]]) -> list[Any]:
    return [t for t in (track_of(i) for i in items) if t is not None]


def _artist(track: dict[str, Any]) -> str:
    return ", ".join(a["name"] for a in track.get("artists") or [])


def _downloadable(api: Any) -> list[tuple[str, dict[str, Any]]]:
    """(playlist id, track) of every track with a Spotify id in the user's playlists."""
    found = []
    for playlist in api.all("/api/v1/playlists"):
        for track in _tracks(api.all(f"/api/v1/playlists/{playlist['id']}/tracks")):
            if track.get("id") and track.get("type") == "track":
                found.append((playlist["id"], track))
    return found


def test_the_library_xml_parses_and_lists_every_playlist_and_item_in_order(
    stack: Stack, api: Any
) -> None:
    save = api.save()
    user_id = _user_id(api)
    downloadable = _downloadable(api)
    # One plain name, one with a space, an accent and an emoji in the path.
    downloaded = {
        downloadable[0][1]["id"]: "Artist/One.mp3",
        downloadable[-1][1]["id"]: "Ä é/Zwei \U0001f3b5 #2.m4a",
    }
    for track_id, path in downloaded.items():
        stack.record_download(user_id, track_id, path, path.rsplit(".", 1)[1], FILE_MS)

    answer = api.get("/api/v1/exports/library.xml")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/xml"
    assert answer.headers["content-disposition"] == names.content_disposition("library.xml")
    assert answer.headers["x-tapedeck-save"] == save["id"]
    library = plistlib.loads(answer.content)

    tracks = library["Tracks"]
    assert all(key == str(track["Track ID"]) for key, track in tracks.items())
    playlists = api.all("/api/v1/playlists")
    assert [p["Name"] for p in library["Playlists"]] == [p["name"] for p in playlists]
    assert any(not p["name"].isascii() for p in playlists)  # Unicode names, kept exactly
    ids_of: dict[str, int] = {}
    for playlist, exported in zip(playlists, library["Playlists"], strict=True):
        items = _tracks(api.all(f"/api/v1/playlists/{playlist['id']}/tracks"))
        listed_ids = [i["Track ID"] for i in exported["Playlist Items"]]
        listed = [tracks[str(n)] for n in listed_ids]
        # A downloaded track's time is its file's.
        assert [(t["Name"], t["Artist"], t["Total Time"]) for t in listed] == [
            (t["name"], _artist(t), FILE_MS if t.get("id") in downloaded else t["duration_ms"])
            for t in items
        ]
        # A track in several places is one entry of Tracks.
        for track, n in zip(items, listed_ids, strict=True):
            assert ids_of.setdefault(track["uri"], n) == n
    assert len(tracks) == len(ids_of)

    track = downloadable[0][1]
    entry = next(t for t in tracks.values() if t["Name"] == track["name"] and "Location" in t)
    assert entry["Album"] == track["album"]["name"]
    assert entry["Track Number"] == track["track_number"]
    assert entry["Disc Number"] == track["disc_number"]
    assert entry["Year"] == int(track["album"]["release_date"][:4])
    assert entry["Kind"] == "MPEG audio file"

    located = {t["Location"] for t in tracks.values() if "Location" in t}
    assert located == {(stack.downloads_dir / path).as_uri() for path in downloaded.values()}
    assert "%20" in "".join(located) and "%23" in "".join(located)


def test_the_library_xml_of_an_older_save_is_that_save(
    stack: Stack, api: Any, emulator: Emulator
) -> None:
    truth = emulator.user("tapedeck-demo")
    pid = next(p for p in truth.playlist_ids() if not truth.items_withheld(p))
    older_names = [t["name"] for t in _tracks(truth.playlist_items(pid))]
    older = api.save()
    truth.change_playlist(pid, add=3, remove=2)
    api.save()
    assert [t["name"] for t in _tracks(truth.playlist_items(pid))] != older_names

    answer = api.get("/api/v1/exports/library.xml", save=older["id"])
    assert answer.headers["x-tapedeck-save"] == older["id"]
    library = plistlib.loads(answer.content)
    name = truth.playlist(pid)["name"]
    exported = next(p for p in library["Playlists"] if p["Name"] == name)
    listed = [library["Tracks"][str(i["Track ID"])]["Name"] for i in exported["Playlist Items"]]
    assert listed == older_names
    assert api.get("/api/v1/exports/library.xml", save="nosuchsave").status_code == 404


def test_the_m3u8_lists_only_downloaded_tracks_in_playlist_order(stack: Stack, api: Any) -> None:
    save = api.save()
    user_id = _user_id(api)
    playlists = api.all("/api/v1/playlists")
    playlist = max(playlists, key=lambda p: p["tapedeck"]["items_saved"])
    tracks = [
        t
        for t in _tracks(api.all(f"/api/v1/playlists/{playlist['id']}/tracks"))
        if t.get("id") and t.get("type") == "track"
    ]
    assert len(tracks) > 100  # beyond one page of the library
    # Downloaded out of order, one beyond the first page; durations round to whole seconds.
    chosen = {tracks[120]["id"]: 185_500, tracks[3]["id"]: 185_499, tracks[0]["id"]: 1_000}
    for n, (track_id, duration_ms) in enumerate(chosen.items()):
        stack.record_download(user_id, track_id, f"Music/{n} Ä.mp3", "mp3", duration_ms)
    expected = "#EXTM3U\n"
    for track in tracks:
        if track["id"] in chosen:
            n = list(chosen).index(track["id"])
            seconds = {185_500: 186, 185_499: 185, 1_000: 1}[chosen[track["id"]]]
            expected += f"#EXTINF:{seconds},{_artist(track)} - {track['name']}\n"
            expected += f"Music/{n} Ä.mp3\n"

    answer = api.get(f"/api/v1/exports/playlists/{playlist['id']}.m3u8")
    assert answer.status_code == 200, answer.text
    assert answer.content.decode("utf-8") == expected
    assert answer.headers["content-type"] == "audio/x-mpegurl"
    file_name = names.playlist_file(playlist["name"], ".m3u8")
    assert answer.headers["content-disposition"] == names.content_disposition(file_name)
    assert answer.headers["x-tapedeck-save"] == save["id"]


def test_a_playlist_without_downloads_is_the_header_alone(api: Any) -> None:
    api.save()
    playlist = api.all("/api/v1/playlists")[0]
    answer = api.get(f"/api/v1/exports/playlists/{playlist['id']}.m3u8")
    assert answer.status_code == 200
    assert answer.content == b"#EXTM3U\n"


def test_another_users_playlist_and_downloads_are_not_exported(
    stack: Stack, api: Any, api_for: Any, emulator: Emulator, tmp_path: Path
) -> None:
    api.save()
    theirs = api_for(stack, "alice")
    theirs.save()
    mine = _downloadable(api)[0]
    stack.record_download(_user_id(api), mine[1]["id"], "mine.mp3", "mp3", 1000)

    answer = theirs.get(f"/api/v1/exports/playlists/{mine[0]}.m3u8")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/exports/playlists/{mine[0]}.m3u8", save="x").status_code == 404
    their_library = plistlib.loads(theirs.get("/api/v1/exports/library.xml").content)
    assert all("Location" not in t for t in their_library["Tracks"].values())


def test_without_the_download_service_the_exports_answer_503_before_any_byte(
    stack: Stack, api: Any
) -> None:
    api.save()
    playlist = api.all("/api/v1/playlists")[0]
    stack.download.stop()
    for path in ("/api/v1/exports/library.xml", f"/api/v1/exports/playlists/{playlist['id']}.m3u8"):
        answer = api.get(path)
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "service_unavailable"
