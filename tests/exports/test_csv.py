"""The CSV exports (docs/api.md "Exports") through the whole stack on the emulator: the file
is Exportify's CSV of exactly what the reads return, from one save, named safely."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import quote

from teststack.fixtures import make_emulator
from teststack.stack import Stack

from gateway.exports import exportify, names
from spotify_emulator import Emulator

CSV_HEADERS = ("content-type", "content-disposition", "x-tapedeck-save")


def _expected(items: list[dict[str, Any]], excel: bool = False) -> bytes:
    return (exportify.header(excel) + exportify.lines(items, excel)).encode()


def _disposition(file_name: str) -> str:
    return names.content_disposition(file_name)


def test_each_playlists_csv_is_exportifys_csv_of_what_the_reads_return(api: Any) -> None:
    save = api.save()
    playlists = api.all("/api/v1/playlists")
    sizes = []
    for playlist in playlists:
        items = api.all(f"/api/v1/playlists/{playlist['id']}/tracks")
        answer = api.get(f"/api/v1/exports/playlists/{playlist['id']}.csv")
        assert answer.status_code == 200, answer.text
        assert answer.content == _expected(items)
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        file_name = names.playlist_file(playlist["name"])
        assert answer.headers["content-disposition"] == _disposition(file_name)
        assert answer.headers["x-tapedeck-save"] == save["id"]
        sizes.append(len(items))
    # The tiny library has a playlist longer than one page of the library (100 items).
    assert max(sizes) > 100


def _rows(answer: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8"), newline="")))


def _artist_names(cell: str) -> list[str]:
    """Exportify's "Artist Name(s)" back into names: split at ", " not after a `\\`."""
    return [n.replace("\\,", ",") for n in re.split(r"(?<!\\), ", cell)] if cell else []


def _playlist_named(emulator: Emulator, name: str) -> str:
    truth = emulator.user("tapedeck-demo")
    return next(p["id"] for p in truth.playlists_simplified() if p["name"] == name)


def test_rows_skip_null_items_and_keep_local_files_episodes_and_repeats(
    api: Any, emulator: Emulator
) -> None:
    api.save()
    pid = _playlist_named(emulator, 'Road trip, summer "2019" \U0001f697')
    items = emulator.user("tapedeck-demo").playlist_items(pid)
    rows = _rows(api.get(f"/api/v1/exports/playlists/{pid}.csv"))[1:]
    tracks = [exportify.track_of(i) for i in items]
    kept = [t for t in tracks if t is not None]
    assert len(kept) < len(items)  # the emulator's null items, skipped
    assert [r[0] for r in rows] == [t["uri"] for t in kept]
    uris = [r[0] for r in rows]
    assert len(set(uris)) < len(uris)  # a track twice in the playlist: two rows
    assert any(u.startswith("spotify:local:") for u in uris)
    assert any(u.startswith("spotify:episode:") for u in uris)


def test_odd_names_come_out_as_exportify_writes_them_and_read_back(
    api: Any, emulator: Emulator
) -> None:
    api.save()
    truth = emulator.user("tapedeck-demo")
    stored = {}
    for pid in truth.playlist_ids():
        answer = api.get(f"/api/v1/exports/playlists/{pid}.csv")
        text = answer.content.decode("utf-8")
        for item, cells in zip(
            (i for i in truth.playlist_items(pid) if exportify.track_of(i) is not None),
            _rows(answer)[1:],
            strict=True,
        ):
            track = exportify.track_of(item)
            assert track is not None
            assert cells[1] == track["name"]
            assert _artist_names(cells[3]) == [a["name"] for a in track.get("artists", [])]
            stored[track["name"]] = text
            for artist in track.get("artists", []):
                stored[artist["name"]] = text
    # The emulator's awkward names: quotes and a comma, emoji, a comma inside an artist's name.
    assert '"Say ""Hello"", Wave Goodbye"' in stored['Say "Hello", Wave Goodbye']
    assert "Earth\\, Wind & Wire" in stored["Earth, Wind & Wire"]
    assert any(not name.isascii() for name in stored)


def test_dangerous_playlist_names_give_safe_file_names(api: Any, emulator: Emulator) -> None:
    api.save()
    expected = {
        "../../etc/passwd": "_etc_passwd.csv",
        "Party \U0001f389 (collab)\nbring your own tunes": (
            "party_\U0001f389_(collab)_bring_your_own_tunes.csv"
        ),
        'Road trip, summer "2019" \U0001f697': "road_trip_summer_2019_\U0001f697.csv",
    }
    for name, file_name in expected.items():
        answer = api.get(f"/api/v1/exports/playlists/{_playlist_named(emulator, name)}.csv")
        assert answer.status_code == 200
        assert answer.headers["content-disposition"] == _disposition(file_name)


def test_liked_songs_csv_is_named_liked_and_has_no_added_by(api: Any) -> None:
    before = api.get("/api/v1/exports/tracks.csv")
    assert before.status_code == 200
    assert before.content == _expected([])
    assert "x-tapedeck-save" not in before.headers
    save = api.save()
    liked = api.all("/api/v1/tracks")
    answer = api.get("/api/v1/exports/tracks.csv")
    assert answer.status_code == 200
    assert answer.content == _expected(liked)
    assert answer.headers["content-disposition"] == _disposition("liked.csv")
    assert answer.headers["x-tapedeck-save"] == save["id"]
    assert len(liked) > 50
    added_by = exportify.HEADER.index("Added By")
    rows = answer.content.decode().splitlines()[1:]
    assert all(row.split('","')[added_by] == "" for row in rows)


def test_excel_adds_a_bom_and_the_default_has_none(api: Any) -> None:
    api.save()
    liked = api.all("/api/v1/tracks")
    plain = api.get("/api/v1/exports/tracks.csv")
    excel = api.get("/api/v1/exports/tracks.csv", excel="true")
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert excel.content.startswith(b"\xef\xbb\xbf")
    assert excel.content == _expected(liked, excel=True)
    assert api.get("/api/v1/exports/tracks.csv", excel="maybe").status_code == 422


def test_another_users_or_an_unknown_playlist_is_404(
    stack: Any, api: Any, api_for: Any, emulator: Emulator
) -> None:
    api.save()
    theirs = api_for(stack, "alice")
    theirs.save()
    mine = emulator.user("tapedeck-demo").playlist_ids()[0]
    answer = theirs.get(f"/api/v1/exports/playlists/{mine}.csv")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/exports/playlists/0000000000000000000000.csv").status_code == 404
    assert api.get(f"/api/v1/exports/playlists/{quote('../x', safe='')}.csv").status_code == 404
    assert api.get(f"/api/v1/exports/playlists/{mine}.csv", save="nosuchsave").status_code == 404
    assert api.get("/api/v1/exports/tracks.csv", save="nosuchsave").status_code == 404


def test_save_exports_that_older_save_exactly(api: Any, emulator: Emulator) -> None:
    truth = emulator.user("tapedeck-demo")
    pid = next(p for p in truth.playlist_ids() if not truth.items_withheld(p))
    older_items = truth.playlist_items(pid)
    older_liked = truth.saved_tracks()
    older = api.save()
    truth.change_playlist(pid, add=3, remove=2)
    truth.like_tracks(2)
    newer = api.save()
    assert truth.playlist_items(pid) != older_items

    answer = api.get(f"/api/v1/exports/playlists/{pid}.csv", save=older["id"])
    assert answer.status_code == 200
    assert answer.content == _expected(older_items)
    assert answer.headers["x-tapedeck-save"] == older["id"]
    liked = api.get("/api/v1/exports/tracks.csv", save=older["id"])
    assert liked.content == _expected(older_liked)

    latest = api.get(f"/api/v1/exports/playlists/{pid}.csv")
    assert latest.content == _expected(truth.playlist_items(pid))
    assert latest.headers["x-tapedeck-save"] == newer["id"]


def test_the_older_shape_exports_the_same_rows(tmp_path: Any, api_for: Any) -> None:
    """Apps with extended quota get items under `track`: the CSV reads them as well."""
    emulator = make_emulator("legacy")
    stack = Stack.start(emulator, tmp_path)
    try:
        api = api_for(stack)
        api.save()
        truth = emulator.user("tapedeck-demo")
        pid = _playlist_named(emulator, 'Road trip, summer "2019" \U0001f697')
        items = truth.playlist_items(pid)
        assert all("track" in i and "item" not in i for i in items)
        answer = api.get(f"/api/v1/exports/playlists/{pid}.csv")
        assert answer.content == _expected(items)
        assert len(_rows(answer)) > 100
    finally:
        stack.stop()
        emulator.stop()


def test_a_withheld_playlist_exports_the_header_alone(api: Any, emulator: Emulator) -> None:
    api.save()
    truth = emulator.user("tapedeck-demo")
    withheld = next(p for p in truth.playlist_ids() if truth.items_withheld(p))
    answer = api.get(f"/api/v1/exports/playlists/{withheld}.csv")
    assert answer.status_code == 200
    assert answer.content == _expected([])
