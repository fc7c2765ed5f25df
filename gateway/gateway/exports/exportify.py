"""Exportify's CSV (exportify.app; src/components/PlaylistExporter.tsx and
data/TracksBaseData.ts in github.com/watsonbox/exportify), byte for byte, so that spotDL,
Musify and the other importers that read Exportify's files read Tapedeck's.

Its format: the English header below; every cell in double quotes, inner quotes doubled;
several artists' URIs and names joined with ", ", a comma inside a name written `\\,`; the
album's first image; `added_by.uri` (empty for Liked Songs); `added_at` as Spotify gave it;
`true`/`false`; UTF-8 without a BOM; "\\n" after every line. Items without a track (Spotify
sends null for a track it removed) are skipped, as Exportify skips them. Where Exportify
writes `undefined` or `null` for a field Spotify did not send (`popularity`, which
development-mode apps no longer get; a local file's null album URI), Tapedeck leaves the cell
empty. One row per item, in order: Exportify keys its rows by track URI and so writes a
repeated track once; a backup keeps both.

`excel=True` is for opening the file in a spreadsheet: a BOM (so Excel reads UTF-8) and a `'`
before any cell starting with = + - @, a tab or a carriage return, which a spreadsheet would
otherwise run as a formula (CSV injection). Importers want the exact bytes, so it is off by
default."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

HEADER = (
    "Track URI",
    "Track Name",
    "Artist URI(s)",
    "Artist Name(s)",
    "Album URI",
    "Album Name",
    "Album Artist URI(s)",
    "Album Artist Name(s)",
    "Album Release Date",
    "Album Image URL",
    "Disc Number",
    "Track Number",
    "Track Duration (ms)",
    "Track Preview URL",
    "Explicit",
    "Popularity",
    "ISRC",
    "Added By",
    "Added At",
)

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Item = Mapping[str, Any]


def track_of(item: Item) -> Item | None:
    """The item's track or episode: under `item` (Spotify's 2026 shape) or `track` (older)."""
    found = item.get("item") if "item" in item else item.get("track")
    return found if isinstance(found, Mapping) else None


def row(item: Item) -> list[str] | None:
    """The item's 19 cells, or None for an item without a track."""
    track = track_of(item)
    if track is None:
        return None
    album = _mapping(track.get("album"))
    artists = _mappings(track.get("artists"))
    album_artists = _mappings(album.get("artists"))
    images = _mappings(album.get("images"))
    added_by = _mapping(item.get("added_by"))
    return [
        _text(track.get("uri")),
        _text(track.get("name")),
        _uris(artists),
        _names(artists),
        _text(album.get("uri")),
        _text(album.get("name")),
        _uris(album_artists),
        _names(album_artists),
        _text(album.get("release_date")),
        _text(images[0].get("url")) if images else "",
        _text(track.get("disc_number")),
        _text(track.get("track_number")),
        _text(track.get("duration_ms")),
        _text(track.get("preview_url")),
        _text(track.get("explicit")),
        _text(track.get("popularity")),
        _text(_mapping(track.get("external_ids")).get("isrc")),
        _text(added_by.get("uri")),
        _text(item.get("added_at")),
    ]


def line(cells: Sequence[str], excel: bool = False) -> str:
    if excel:
        cells = [neutralised(cell) for cell in cells]
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells) + "\n"


def header(excel: bool = False) -> str:
    """The file's first line; with `excel`, after a BOM."""
    return (BOM if excel else "") + line(HEADER)


def lines(items: Iterable[Item], excel: bool = False) -> str:
    """The rows of these items (no header), as one string: a page at a time when streaming."""
    return "".join(line(cells, excel) for cells in map(row, items) if cells is not None)


async def encoded(
    pages: AsyncIterable[Iterable[Item]], excel: bool = False
) -> AsyncIterator[bytes]:
    """The whole file, UTF-8: the header, then each page's rows as the page arrives."""
    yield header(excel).encode()
    async for page in pages:
        text = lines(page, excel)
        if text:
            yield text.encode()


def neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _text(value: Any) -> str:
    """A field as JavaScript's String() writes it, with empty for null or missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mapping(value: Any) -> Item:
    return value if isinstance(value, Mapping) else {}


def _mappings(value: Any) -> list[Item]:
    if not isinstance(value, list):
        return []
    return [v if isinstance(v, Mapping) else {} for v in value]


def _uris(artists: list[Item]) -> str:
    return ", ".join(_text(a.get("uri")) for a in artists)


def _names(artists: list[Item]) -> str:
    return ", ".join(_text(a.get("name")).replace(",", "\\,") for a in artists)
