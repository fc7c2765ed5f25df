"""The Exportify CSV writer alone (gateway.exports.exportify), in milliseconds: Exportify's
header and bytes, read back through Python's csv module to the stored values."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from gateway.exports import exportify

# Exportify's header, as its English translation and TracksBaseData.dataLabels() give it,
# then "Added By", "Added At".
EXPORTIFY_HEADER = (
    '"Track URI","Track Name","Artist URI(s)","Artist Name(s)","Album URI","Album Name",'
    '"Album Artist URI(s)","Album Artist Name(s)","Album Release Date","Album Image URL",'
    '"Disc Number","Track Number","Track Duration (ms)","Track Preview URL","Explicit",'
    '"Popularity","ISRC","Added By","Added At"\n'
)


def _artist(n: int, name: str) -> dict[str, Any]:
    return {"id": f"ar{n}", "name": name, "uri": f"spotify:artist:ar{n}", "type": "artist"}


def _item(name: str, artists: list[str], key: str = "item", **track: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "tr1",
        "uri": "spotify:track:tr1",
        "name": name,
        "artists": [_artist(n, a) for n, a in enumerate(artists)],
        "album": {
            "uri": "spotify:album:al1",
            "name": 'Album, "Live"',
            "artists": [_artist(9, "Crosby, Stills & Nash")],
            "release_date": "1969-05-29",
            "images": [
                {"url": "https://i.example/640.jpg", "height": 640, "width": 640},
                {"url": "https://i.example/300.jpg", "height": 300, "width": 300},
            ],
        },
        "disc_number": 1,
        "track_number": 7,
        "duration_ms": 215_000,
        "preview_url": None,
        "explicit": False,
        "popularity": 42,
        "external_ids": {"isrc": "USRC17607839"},
        "is_local": False,
        "type": "track",
        **track,
    }
    return {
        "added_at": "2026-02-03T04:05:06Z",
        "added_by": {"id": "mira", "uri": "spotify:user:mira", "type": "user"},
        "is_local": False,
        key: obj,
    }


ODD_NAMES = [
    'Say "Hello", Goodbye',
    "Line one\nLine two",
    "Café 🎸 — naïve",
    '=HYPERLINK("http://evil")',
    "  spaces  ",
]


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _artist_names(cell: str) -> list[str]:
    """Exportify's "Artist Name(s)" cell back into names: split at ", " not after a `\\`."""
    return [name.replace("\\,", ",") for name in re.split(r"(?<!\\), ", cell)]


def test_the_header_is_exportifys_column_for_column() -> None:
    assert exportify.header() == EXPORTIFY_HEADER
    assert len(exportify.HEADER) == 19


def test_a_row_is_written_as_exportify_writes_it() -> None:
    item = _item('Say "Hello", Goodbye', ["Earth, Wind & Fire", "Björk"])
    assert exportify.lines([item]) == (
        '"spotify:track:tr1","Say ""Hello"", Goodbye",'
        '"spotify:artist:ar0, spotify:artist:ar1","Earth\\, Wind & Fire, Björk",'
        '"spotify:album:al1","Album, ""Live""","spotify:artist:ar9","Crosby\\, Stills & Nash",'
        '"1969-05-29","https://i.example/640.jpg","1","7","215000","","false","42",'
        '"USRC17607839","spotify:user:mira","2026-02-03T04:05:06Z"\n'
    )


def test_odd_names_read_back_through_pythons_csv_to_the_stored_values() -> None:
    items = [_item(name, [name, "B, C"]) for name in ODD_NAMES]
    text = exportify.header() + exportify.lines(items)
    rows = _read(text)
    assert rows[0] == list(exportify.HEADER)
    assert [r[1] for r in rows[1:]] == ODD_NAMES
    assert [_artist_names(r[3]) for r in rows[1:]] == [[n, "B, C"] for n in ODD_NAMES]
    assert all(len(r) == 19 for r in rows)
    data = text.encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data


def test_the_older_track_key_is_read_and_null_items_are_skipped() -> None:
    older = _item("Old shape", ["A"], key="track")
    assert exportify.lines([older]) == exportify.lines([_item("Old shape", ["A"])])
    assert (
        exportify.lines([{"added_at": "x", "item": None}, {"added_at": "x", "track": None}]) == ""
    )


def test_local_files_episodes_and_missing_fields_are_written_with_what_they_have() -> None:
    local = {
        "added_at": "2026-01-01T00:00:00Z",
        "added_by": {"uri": "spotify:user:mira"},
        "is_local": True,
        "item": {
            "id": None,
            "uri": "spotify:local:Artist:Album:Title:200",
            "name": "Title",
            "artists": [{"id": None, "name": "Artist", "uri": None}],
            "album": {"uri": None, "name": "Album", "artists": [], "images": []},
            "disc_number": 0,
            "track_number": 0,
            "duration_ms": 200_000,
            "preview_url": None,
            "explicit": False,
            "external_ids": {},
            "is_local": True,
        },
    }
    episode = {
        "added_at": "2026-01-02T00:00:00Z",
        "added_by": None,
        "item": {
            "uri": "spotify:episode:ep1",
            "name": "Episode",
            "duration_ms": 1_800_000,
            "explicit": True,
            "type": "episode",
        },
    }
    rows = _read(exportify.lines([local, episode]))
    assert rows[0] == [
        "spotify:local:Artist:Album:Title:200", "Title", "", "Artist", "", "Album", "", "",
        "", "", "0", "0", "200000", "", "false", "", "", "spotify:user:mira",
        "2026-01-01T00:00:00Z",
    ]  # fmt: skip
    assert rows[1] == [
        "spotify:episode:ep1", "Episode", "", "", "", "", "", "", "", "", "", "", "1800000",
        "", "true", "", "", "", "2026-01-02T00:00:00Z",
    ]  # fmt: skip


def test_liked_songs_have_an_empty_added_by_and_popularity_may_be_absent() -> None:
    liked = _item("Liked", ["A"])
    del liked["added_by"]
    del liked["item"]["popularity"]
    cells = _read(exportify.lines([liked]))[0]
    assert cells[exportify.HEADER.index("Added By")] == ""
    assert cells[exportify.HEADER.index("Popularity")] == ""


def test_a_repeated_track_is_written_once_per_occurrence() -> None:
    item = _item("Twice", ["A"])
    assert len(_read(exportify.lines([item, item]))) == 2


def test_excel_adds_a_bom_and_neutralises_formulas_and_the_default_keeps_them_exact() -> None:
    for start in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        item = _item(start, ["A"])
        exact = _read(exportify.lines([item]))[0]
        excel = _read(exportify.lines([item], excel=True))[0]
        assert exact[1] == start
        assert excel[1] == "'" + start
    harmless = _item("Hello", ["A"])
    assert exportify.lines([harmless], excel=True) == exportify.lines([harmless])
    assert exportify.header(excel=True) == "\ufeff" + EXPORTIFY_HEADER
