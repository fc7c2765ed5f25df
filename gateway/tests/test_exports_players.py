"""The iTunes Library XML and M3U8 writers (gateway.exports.itunes, gateway.exports.m3u), on
items as the library stores them, in milliseconds."""

from __future__ import annotations

import asyncio
import plistlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.exports import itunes, m3u
from gateway.exports.itunes import Downloads, File

FOLDER = "/srv/tape deck/downloads"
NOW = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def _track(n: int, name: str, **more: Any) -> dict[str, Any]:
    return {
        "id": f"t{n}",
        "uri": f"spotify:track:t{n}",
        "type": "track",
        "name": name,
        "artists": [{"name": "Ärtist, Jr."}, {"name": "B & <C>"}],
        "album": {"name": "Album \U0001f3b6", "release_date": "1999-05-01", "artists": []},
        "duration_ms": 200_400,
        "track_number": n,
        "disc_number": 1,
        **more,
    }


def _item(track: dict[str, Any] | None) -> dict[str, Any]:
    return {"added_at": "2026-01-01T00:00:00Z", "item": track}


async def _collect(chunks: AsyncIterator[str]) -> str:
    return "".join([c async for c in chunks])


def _xml(
    playlists: list[tuple[dict[str, Any], list[dict[str, Any]]]], files: dict[str, File]
) -> Any:
    asked: list[list[str]] = []

    async def each() -> AsyncIterator[dict[str, Any]]:
        for playlist, _ in playlists:
            yield playlist

    async def pages(playlist: Any) -> AsyncIterator[Sequence[dict[str, Any]]]:
        items = next(i for p, i in playlists if p is playlist)
        for start in range(0, len(items), 2):  # pages of two
            yield items[start : start + 2]

    async def downloaded(ids: list[str]) -> Downloads:
        asked.append(ids)
        return Downloads(FOLDER, {i: files[i] for i in ids if i in files})

    body = asyncio.run(
        _collect(
            itunes.library_xml(each, pages, downloaded, now=NOW, library_id="u", folder=FOLDER)
        )
    )
    return plistlib.loads(body.encode("utf-8")), asked


def test_forbidden_characters_are_dropped_and_the_rest_kept() -> None:
    odd = "a\x00b\x07c\x1fd\ud800e\ufffef \t\n tab & <tag> \"q\" 'é' \U0001f600"
    library, _ = _xml([({"name": odd, "id": "p1"}, [_item(_track(1, odd))])], {})
    kept = "abcdef \t\n tab & <tag> \"q\" 'é' \U0001f600"
    assert library["Playlists"][0]["Name"] == kept
    assert library["Tracks"]["1"]["Name"] == kept


def test_a_carriage_return_survives_the_parser() -> None:
    library, _ = _xml([({"name": "one\r\ntwo", "id": "p1"}, [])], {})
    assert library["Playlists"][0]["Name"] == "one\r\ntwo"


def test_tracks_come_once_and_playlists_name_them_in_order() -> None:
    a, b, c = _track(1, "A"), _track(2, "B"), _track(3, "C")
    first = [_item(a), _item(None), _item(b), _item(a)]
    second = [_item(c), _item(b)]
    library, asked = _xml(
        [({"name": "one", "id": "p1"}, first), ({"name": "two", "id": "p2"}, second)],
        {"t2": File("x/b b.mp3", "mp3", 1000)},
    )
    assert sorted(library["Tracks"]) == ["1", "2", "3"]
    names = [
        [library["Tracks"][str(i["Track ID"])]["Name"] for i in p["Playlist Items"]]
        for p in library["Playlists"]
    ]
    assert names == [["A", "B", "A"], ["C", "B"]]
    # Playlist IDs do not collide with Track IDs.
    assert [p["Playlist ID"] for p in library["Playlists"]] == [4, 5]
    # Each track's downloads asked once, a page at a time.
    assert asked == [["t1"], ["t2"], ["t3"]]
    b_entry = library["Tracks"]["2"]
    assert b_entry["Location"] == "file:///srv/tape%20deck/downloads/x/b%20b.mp3"
    assert b_entry["Total Time"] == 1000 and b_entry["Kind"] == "MPEG audio file"
    a_entry = library["Tracks"]["1"]
    assert "Location" not in a_entry
    assert a_entry["Artist"] == "Ärtist, Jr., B & <C>"
    assert (a_entry["Year"], a_entry["Total Time"], a_entry["Track Number"]) == (1999, 200_400, 1)
    assert len(a_entry["Persistent ID"]) == 16


def test_a_local_file_without_album_or_numbers_still_parses() -> None:
    local: dict[str, Any] = {
        "id": None,
        "uri": "spotify:local:x",
        "name": "Mine",
        "artists": [],
        "album": None,
    }
    library, asked = _xml([({"name": "p", "id": "p1"}, [_item(local)])], {})
    assert library["Tracks"]["1"]["Name"] == "Mine"
    assert "Year" not in library["Tracks"]["1"] and asked == []


def test_m3u_entries_round_seconds_and_keep_names_on_one_line() -> None:
    track = _track(1, "Line\nbreak, and comma")
    assert m3u.entry(track, File("a/b.mp3", "mp3", 185_500)) == (
        "#EXTINF:186,Ärtist, Jr., B & <C> - Line break, and comma\na/b.mp3\n"
    )
    assert m3u.entry(track, File("#c.mp3", "mp3", 0)).splitlines() == [
        "#EXTINF:200,Ärtist, Jr., B & <C> - Line break, and comma",
        "./#c.mp3",
    ]
    assert [m3u.seconds(ms) for ms in (0, 499, 500, 1_499, 1_500)] == [0, 0, 1, 1, 2]
