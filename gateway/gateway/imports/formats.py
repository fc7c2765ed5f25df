"""Which kind of file an import is, and what it holds: playlists as URIs in order, Liked
Songs, saved albums. Rows without a Spotify URI are counted, never guessed.

Bad files are refused whole (ImportRefused, a 400), before anything is kept: not a CSV or a
zip; a CSV with another header; more rows than a playlist can hold; a zip that would inflate
beyond the limit (a zip bomb), read with a cap whatever its headers claim; a URI list with
one invalid entry."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from gateway.exports.exportify import HEADER as EXPORTIFY

# The other popular Exportify (pavelkomarov's fork, exportify.net): "Track URI" (older
# versions: "Spotify ID", a bare id), names, dates, then Genres, Record Label and the audio
# features, 24 columns in all. Told apart by its name columns and audio features.
EXTENDED_IDS = ("Track URI", "Spotify ID")
EXTENDED_MARKS = ("Track Name", "Artist Name(s)", "Danceability")
BARE_ID = re.compile(r"[0-9A-Za-z]{22}")
# Spotify's own cap on a playlist's items.
MAX_ROWS = 10_000
# What a zip may inflate to, in all (its files are read with this cap, whatever their
# headers say), and the most files it may hold.
MAX_INFLATED = 256 * 1024 * 1024
MAX_FILES = 10_000
ITEM_URI = re.compile(r"spotify:(track|episode):[0-9A-Za-z]{22}")
ALBUM_URI = re.compile(r"spotify:album:[0-9A-Za-z]{22}")


class ImportRefused(ValueError):
    """The file is not one Tapedeck imports; str() says why, for the person."""


@dataclass
class Playlist:
    name: str
    description: str = ""
    uris: list[str] = field(default_factory=list)
    unresolved: int = 0


@dataclass
class Parsed:
    format: str
    playlists: list[Playlist] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    albums: list[str] = field(default_factory=list)


def parse_uris(name: str, uris: list[str]) -> Parsed:
    """A plain list of track or episode URIs, as one playlist; one invalid entry refuses it."""
    bad = [u for u in uris if not isinstance(u, str) or not ITEM_URI.fullmatch(u)]
    if bad:
        shown = ", ".join(repr(b) for b in bad[:3])
        raise ImportRefused(f"{len(bad)} entries are not Spotify track or episode URIs: {shown}")
    if not uris:
        raise ImportRefused("uris is empty")
    if len(uris) > MAX_ROWS:
        raise ImportRefused(f"a playlist holds at most {MAX_ROWS} items")
    return Parsed("uris", [Playlist(name or "Imported", "", list(uris))])


def parse_file(data: bytes, filename: str = "") -> Parsed:
    if data[:4] == b"PK\x03\x04":
        return _zip(data)
    text = _text(data)
    if text is None:
        raise ImportRefused("the file is neither a CSV nor a zip")
    fmt, playlist = _csv(text, _stem(filename) or "Imported")
    return Parsed(fmt, [playlist])


def _text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _stem(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-4] if base.lower().endswith(".csv") else base


def _csv(text: str, name: str) -> tuple[str, Playlist]:
    """An Exportify CSV (either layout) as a playlist."""
    rows = csv.reader(io.StringIO(text))
    try:
        header = tuple(next(rows))
    except (StopIteration, csv.Error):
        raise ImportRefused("the file is not an Exportify CSV: no header") from None
    column = 0
    if header == EXPORTIFY:
        fmt = "exportify"
    elif all(m in header for m in EXTENDED_MARKS) and any(i in header for i in EXTENDED_IDS):
        fmt = "exportify_extended"
        column = next(header.index(i) for i in EXTENDED_IDS if i in header)
    else:
        raise ImportRefused(
            "the file is not an Exportify CSV: its header is neither Exportify's 19 columns "
            "nor the 24 of the other Exportify"
        )
    playlist = Playlist(name)
    try:
        for n, row in enumerate(rows, start=1):
            if n > MAX_ROWS:
                raise ImportRefused(
                    f"more than {MAX_ROWS} rows: a playlist holds at most {MAX_ROWS}"
                )
            uri = row[column].strip() if len(row) > column else ""
            if BARE_ID.fullmatch(uri):
                uri = f"spotify:track:{uri}"
            if ITEM_URI.fullmatch(uri):
                playlist.uris.append(uri)
            else:
                playlist.unresolved += 1
    except csv.Error as bad:
        raise ImportRefused(f"the CSV cannot be read: {bad}") from None
    if not playlist.uris:
        raise ImportRefused("no row of the CSV holds a Spotify track URI")
    return fmt, playlist


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A member's bytes, read against what is left of the inflation budget (headers can
    lie about sizes: the count is of bytes actually inflated)."""
    out = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(1 << 16):
            out += chunk
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ImportRefused(f"the zip inflates beyond {MAX_INFLATED} bytes")
    return bytes(out)


def _zip(data: bytes) -> Parsed:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as bad:
        raise ImportRefused(f"the zip cannot be read: {bad}") from None
    if len(infos) > MAX_FILES:
        raise ImportRefused(f"the zip holds more than {MAX_FILES} files")
    if sum(i.file_size for i in infos) > MAX_INFLATED:
        raise ImportRefused(f"the zip inflates beyond {MAX_INFLATED} bytes")
    budget = [MAX_INFLATED]
    names = {i.filename: i for i in infos}
    try:
        if "manifest.json" in names:
            return _tapedeck_json(archive, names, budget)
        csvs = [i for i in infos if i.filename.lower().endswith(".csv")]
        if not csvs:
            raise ImportRefused("the zip is neither a Tapedeck JSON export nor Exportify's CSVs")
        parsed = Parsed("exportify")
        for info in csvs:
            text = _text(_read(archive, info, budget))
            if text is None:
                raise ImportRefused(f"{info.filename} is not a CSV")
            fmt, playlist = _csv(text, _stem(info.filename))
            parsed.format = fmt
            if _stem(info.filename) == "liked":
                parsed.liked = playlist.uris
            else:
                parsed.playlists.append(playlist)
        return parsed
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as bad:
        raise ImportRefused(f"the zip cannot be read: {bad}") from None


def _json(
    archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], name: str, budget: list[int]
) -> Any:
    if name not in names:
        return []
    try:
        return json.loads(_read(archive, names[name], budget))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ImportRefused(f"{name} is not JSON") from None


def _uri(obj: Any) -> str | None:
    return str(obj["uri"]) if isinstance(obj, dict) and isinstance(obj.get("uri"), str) else None


def _tapedeck_json(
    archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: list[int]
) -> Parsed:
    """Tapedeck's JSON library zip (docs/api.md "The library zip")."""
    parsed = Parsed("tapedeck_json")
    try:
        for entry in _json(archive, names, "playlists.json", budget):
            playlist = entry["playlist"]
            if (playlist.get("tapedeck") or {}).get("items_withheld"):
                continue
            found = Playlist(
                str(playlist.get("name") or ""), str(playlist.get("description") or "")
            )
            for item in entry["items"]:
                uri = _uri(item.get("item") or item.get("track"))
                if uri is not None and ITEM_URI.fullmatch(uri) and not item.get("is_local"):
                    found.uris.append(uri)
                else:
                    found.unresolved += 1
            parsed.playlists.append(found)
        for saved in _json(archive, names, "tracks.json", budget):
            uri = _uri(saved.get("track"))
            if uri is not None and ITEM_URI.fullmatch(uri):
                parsed.liked.append(uri)
        for saved in _json(archive, names, "albums.json", budget):
            uri = _uri(saved.get("album"))
            if uri is not None and ALBUM_URI.fullmatch(uri):
                parsed.albums.append(uri)
    except (KeyError, TypeError, AttributeError):
        raise ImportRefused("the zip's JSON is not Tapedeck's export") from None
    return parsed
