"""File names for exports: Exportify's naming, then made safe on Windows, macOS and Linux.

Exportify (src/components/PlaylistExporter.tsx, `fileName`) replaces each run of control
characters, spaces and ``/\\<>:;"|=,.?*[]`` in the playlist's name by one `_` and lower-cases
it; "Liked Songs" is `liked.csv`, everything `spotify_playlists.zip`, and a name already used
in a zip gets ` (1)`, ` (2)`, ... before its extension. Tapedeck keeps that naming (people and
scripts expect it) and then makes the result safe everywhere, since a playlist's name is
whatever its owner typed: no path separators or characters Windows refuses, no control or
direction-override characters, no `..`, no name Windows reserves for a device (`CON`,
`com1.csv`), a capped length, and never an empty name."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

LIKED = "liked.csv"
ALL_PLAYLISTS = "spotify_playlists.zip"

# Exportify's own pattern, as its fileName() has it.
_EXPORTIFY = re.compile(r'[\x00-\x1f\x7f/\\<>:;"|=,.?*\[\] ]+')

# What Windows refuses in a name (macOS and Linux refuse only "/" and NUL).
_REFUSED = re.compile(r'[/\\:*?"<>|]')
# Bidirectional overrides and isolates make a name read other than it is ("gpj.exe" shown as
# "exe.jpg"); the other format characters (a zero-width joiner inside an emoji) are kept.
_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"]
)
# UTF-8 bytes of a name's stem: filesystems allow 255 for the whole name; this leaves room
# for " (999)" and an extension.
STEM_BYTES = 180
FALLBACK = "export"


def exportify_stem(name: str) -> str:
    """The stem Exportify gives a playlist of this name (no extension, not yet made safe)."""
    return _EXPORTIFY.sub("_", name).lower()


def safe_name(stem: str, extension: str) -> str:
    """`stem` + `extension` (".csv"), made safe to write on any of the three systems."""
    cleaned = "".join(
        "_" if unicodedata.category(c) == "Cc" or c in _OVERRIDES else c for c in stem
    )
    cleaned = _REFUSED.sub("_", cleaned)
    cleaned = re.sub(r"\.{2,}", "_", cleaned)
    cleaned = _cap(cleaned).strip(" .")
    if not cleaned:
        cleaned = FALLBACK
    # Windows reserves a device name whatever follows its first dot ("con.csv", "CON .x").
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned + extension


def playlist_file(name: str, extension: str = ".csv") -> str:
    """Exportify's file name for a playlist called `name`, made safe."""
    return safe_name(exportify_stem(name), extension)


def _cap(stem: str) -> str:
    encoded = stem.encode("utf-8")
    if len(encoded) <= STEM_BYTES:
        return stem
    return encoded[:STEM_BYTES].decode("utf-8", errors="ignore")


class Namer:
    """Names for the files of one zip: a name already given (compared without case, as
    Windows and macOS compare them) gets ` (1)`, ` (2)`, ... before its extension, as
    Exportify numbers them, so two playlists of the same name do not overwrite each other."""

    def __init__(self) -> None:
        self._given: set[str] = set()

    def name(self, file_name: str) -> str:
        """`file_name` (already safe), or its first free numbered variant."""
        stem, dot, extension = file_name.rpartition(".")
        if not dot:
            stem, extension = file_name, ""
        else:
            extension = "." + extension
        candidate, n = file_name, 0
        while candidate.casefold() in self._given:
            n += 1
            candidate = f"{stem} ({n}){extension}"
        self._given.add(candidate.casefold())
        return candidate


def content_disposition(file_name: str) -> str:
    """An attachment header naming `file_name` (a safe name) as RFC 6266 asks: a plain ASCII
    `filename` for old clients, and the exact name in `filename*` (RFC 8187, UTF-8)."""
    fallback = "".join(c if " " <= c < "\x7f" else "_" for c in file_name)
    exact = quote(file_name, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
