"""The iTunes Library XML (a property list, version 1.0) of a user's playlists, as iTunes and
Music write it and rekordbox, Traktor and other players import it: a `Tracks` dict keyed by
Track ID, then a `Playlists` array whose items name those IDs.

`plistlib` builds a whole document in memory; this writes it piece by piece. As `Tracks`
comes before `Playlists`, `library_xml` reads the save's playlists twice: the first pass
writes each distinct track once (by its URI) and remembers its Track ID, the second writes
the playlists. What stays in memory is that map, one small entry per distinct track (about
150 bytes: some 15 MB for 100,000 distinct tracks), never the items; the library is read
twice from one save, so both passes see the same items. (Writing the playlists to a
temporary file while the tracks stream would read once, but puts blocking disk writes on
the gateway's event loop.)

Text keeps every Unicode character XML 1.0 allows; those it forbids (most C0 controls,
lone surrogates, U+FFFE/U+FFFF) are dropped, so Spotify's data cannot make the file
unreadable. Downloaded tracks carry `Location`, a percent-encoded `file://` URL under the
downloads folder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from gateway.exports.exportify import track_of

Item = Mapping[str, Any]

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
    '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
    '<plist version="1.0">\n<dict>\n'
)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_YEAR = re.compile(r"\d{4}")

# What iTunes calls a file of each format (its `Kind`).
_KINDS = {
    "mp3": "MPEG audio file",
    "m4a": "AAC audio file",
    "aac": "AAC audio file",
    "alac": "Apple Lossless audio file",
    "flac": "FLAC audio file",
    "wav": "WAV audio file",
    "aiff": "AIFF audio file",
    "opus": "Opus audio file",
    "ogg": "Ogg Vorbis audio file",
}


@dataclass(frozen=True)
class File:
    """A finished download of a track: where it is, under the downloads folder."""

    path: str
    format: str
    duration_ms: int


@dataclass(frozen=True)
class Downloads:
    """The downloaded files of some tracks, by Spotify track id, and their folder."""

    folder: str
    files: Mapping[str, File]


def text(value: str) -> str:
    """`value` as XML character data: escaped, forbidden characters dropped, and a carriage
    return written as a reference (a parser turns a bare one into a line feed)."""
    value = _FORBIDDEN.sub("", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def file_url(folder: str, path: str) -> str:
    """The `file://` URL of `path` (relative, `/` between folders) under `folder`."""
    return "file://" + quote(str(PurePosixPath(folder) / path), safe="/")


def persistent_id(key: str) -> str:
    """A stable 64-bit id in iTunes's form (16 hex digits), so a re-import matches."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16].upper()


def _key(name: str) -> str:
    return f"\t\t\t<key>{text(name)}</key>"


def _string(name: str, value: str) -> str:
    return f"{_key(name)}<string>{text(value)}</string>\n"


def _integer(name: str, value: int) -> str:
    return f"{_key(name)}<integer>{value}</integer>\n"


def _names(objects: Any) -> str:
    if not isinstance(objects, list):
        return ""
    return ", ".join(str(o.get("name") or "") for o in objects if isinstance(o, Mapping))


def track_key(track: Item) -> str:
    """What makes two items one track: its URI (a local file's too), else what it shows."""
    uri = track.get("uri")
    if isinstance(uri, str) and uri:
        return uri
    album = track.get("album") if isinstance(track.get("album"), Mapping) else {}
    return "\x00".join(
        (
            str(track.get("name") or ""),
            _names(track.get("artists")),
            str((album or {}).get("name") or ""),
            str(track.get("duration_ms") or ""),
        )
    )


def head(now: datetime, library_id: str, folder: str) -> str:
    """The document's start, up to the opening of `Tracks`."""
    return (
        HEAD
        + "\t<key>Major Version</key><integer>1</integer>\n"
        + "\t<key>Minor Version</key><integer>1</integer>\n"
        + f"\t<key>Date</key><date>{now.strftime('%Y-%m-%dT%H:%M:%SZ')}</date>\n"
        + "\t<key>Application Version</key><string>Tapedeck</string>\n"
        + "\t<key>Features</key><integer>5</integer>\n"
        + "\t<key>Show Content Ratings</key><true/>\n"
        + f"\t<key>Music Folder</key><string>{text(file_url(folder, ''))}/</string>\n"
        + f"\t<key>Library Persistent ID</key><string>{persistent_id(library_id)}</string>\n"
        + "\t<key>Tracks</key>\n\t<dict>\n"
    )


def track(track_id: int, track: Item, file: File | None, folder: str) -> str:
    """One entry of `Tracks`: Spotify's fields iTunes knows, and `Location` if downloaded."""
    album = track.get("album")
    album = album if isinstance(album, Mapping) else {}
    parts = [f"\t\t<key>{track_id}</key>\n\t\t<dict>\n", _integer("Track ID", track_id)]
    parts.append(_string("Name", str(track.get("name") or "")))
    parts.append(_string("Artist", _names(track.get("artists"))))
    album_artist = _names(album.get("artists"))
    if album_artist:
        parts.append(_string("Album Artist", album_artist))
    parts.append(_string("Album", str(album.get("name") or "")))
    episode = track.get("type") == "episode"
    if file is not None:
        kind = _KINDS.get(file.format.lower(), f"{file.format.upper()} audio file")
    else:
        kind = "Spotify episode" if episode else "Spotify track"
    parts.append(_string("Kind", kind))
    duration = file.duration_ms if file is not None and file.duration_ms > 0 else None
    duration = duration or track.get("duration_ms")
    if isinstance(duration, int) and not isinstance(duration, bool):
        parts.append(_integer("Total Time", duration))
    for name, field in (("Disc Number", "disc_number"), ("Track Number", "track_number")):
        value = track.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            parts.append(_integer(name, value))
    year = _YEAR.match(str(album.get("release_date") or ""))
    if year and int(year.group()) > 0:
        parts.append(_integer("Year", int(year.group())))
    parts.append(_string("Persistent ID", persistent_id(track_key(track))))
    parts.append(_string("Track Type", "File" if file is not None else "URL"))
    if file is not None:
        parts.append(_string("Location", file_url(folder, file.path)))
    parts.append("\t\t</dict>\n")
    return "".join(parts)


BETWEEN = "\t</dict>\n\t<key>Playlists</key>\n\t<array>\n"
TAIL = "\t</array>\n</dict>\n</plist>\n"


def playlist_head(playlist_id: int, playlist: Item) -> str:
    """A playlist's entry up to its items."""
    parts = ["\t\t<dict>\n", _string("Name", str(playlist.get("name") or ""))]
    description = playlist.get("description")
    if isinstance(description, str) and description:
        parts.append(_string("Description", description))
    parts.append(_integer("Playlist ID", playlist_id))
    spotify_id = str(playlist.get("uri") or playlist.get("id") or playlist_id)
    parts.append(_string("Playlist Persistent ID", persistent_id("playlist " + spotify_id)))
    parts.append("\t\t\t<key>All Items</key><true/>\n")
    parts.append("\t\t\t<key>Playlist Items</key>\n\t\t\t<array>\n")
    return "".join(parts)


def playlist_items(track_ids: Sequence[int]) -> str:
    return "".join(
        f"\t\t\t\t<dict>\n\t\t\t\t\t<key>Track ID</key><integer>{n}</integer>\n\t\t\t\t</dict>\n"
        for n in track_ids
    )


PLAYLIST_TAIL = "\t\t\t</array>\n\t\t</dict>\n"


# The save's playlists, from the start, each time it is called.
Playlists = Callable[[], AsyncIterable[Item]]
# A playlist's items, page by page, in order.
ItemPages = Callable[[Item], AsyncIterable[Sequence[Item]]]
# The downloaded files of these Spotify track ids.
Downloaded = Callable[[list[str]], Awaitable[Downloads]]


async def library_xml(
    playlists: Playlists,
    item_pages: ItemPages,
    downloaded: Downloaded,
    *,
    library_id: str,
    folder: str,
    now: datetime | None = None,
) -> AsyncIterator[str]:
    """The whole document, a page of items at a time (see the module's note on memory).
    `now`: the document's date, this moment if not given."""
    yield head(now or datetime.now(UTC), library_id, folder)
    ids: dict[str, int] = {}
    async for playlist in playlists():
        async for page in item_pages(playlist):
            new: dict[str, Item] = {}
            for item in page:
                found = track_of(item)
                if found is not None:
                    key = track_key(found)
                    if key not in ids and key not in new:
                        new[key] = found
            if not new:
                continue
            spotify_ids = [str(t["id"]) for t in new.values() if t.get("id")]
            files = (await downloaded(spotify_ids)) if spotify_ids else Downloads(folder, {})
            chunk = []
            for key, found in new.items():
                ids[key] = len(ids) + 1
                file = files.files.get(str(found.get("id") or ""))
                chunk.append(track(ids[key], found, file, files.folder))
            yield "".join(chunk)
    yield BETWEEN
    # Playlist IDs follow the Track IDs: iTunes numbers both from one space.
    number = len(ids)
    async for playlist in playlists():
        number += 1
        yield playlist_head(number, playlist)
        async for page in item_pages(playlist):
            found_ids = []
            for item in page:
                found = track_of(item)
                if found is not None and track_key(found) in ids:
                    found_ids.append(ids[track_key(found)])
            yield playlist_items(found_ids)
        yield PLAYLIST_TAIL
    yield TAIL
