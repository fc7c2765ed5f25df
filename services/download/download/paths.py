"""Where a downloaded track's file goes: the path template, made safe on every OS.

Pure: no file system access. A track's fields are text from Spotify (anyone can name a
playlist track `../../x`, `CON` or `a/b\\c`); each placeholder's value becomes exactly one
name of one folder or file, valid on Linux, macOS and Windows, and the path stays inside the
downloads folder whatever the fields or the template hold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from kit.errors import InvalidArgument

DEFAULT = "{album artist}/{album}/{track number} - {title}.{ext}"

# The placeholders a template may use; the file's extension is `{ext}`.
FIELDS = (
    "title",
    "artist",
    "artists",
    "album",
    "album artist",
    "track number",
    "disc number",
    "year",
    "date",
    "isrc",
    "track id",
)
# What a missing field becomes, so a track without an album still lands in a folder.
MISSING = {
    "album": "Unknown Album",
    "album artist": "Unknown Artist",
    "artist": "Unknown Artist",
    "track number": "00",
    "disc number": "00",
}

# Bytes of UTF-8 in one name before its extension: file systems allow 255 per name (ext4,
# APFS; NTFS counts UTF-16 units, fewer), and room is left for `.opus` and a temporary
# suffix while the file is written.
MAX_NAME_BYTES = 200

# Names Windows reserves whatever the extension (`CON.mp3` cannot be created either).
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
# Characters Windows refuses in a name, and both separators.
_REPLACED = {
    ":": "-",
    '"': "'",
    "/": "_",
    "\\": "_",
    "|": "_",
    "<": "_",
    ">": "_",
    "?": "",
    "*": "",
}
# Bidirectional overrides would let a name display as something it is not.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_EXT = re.compile(r"[a-z0-9]{1,8}")


def safe_name(text: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`text` as one file or folder name valid everywhere, other scripts kept.

    Control characters made spaces, bidi overrides and lone surrogates dropped, separators and Windows' forbidden
    characters replaced, whitespace collapsed, leading and trailing dots and spaces stripped
    (Windows drops trailing ones; a leading dot hides a file, `..` climbs), Windows' reserved
    device names suffixed with `_`, cut to `max_bytes` of UTF-8 on a character boundary.
    Never empty: nothing usable left gives `_`.
    """
    text = "".join(
        " " if unicodedata.category(c) == "Cc" else _REPLACED.get(c, c)
        for c in text
        # Lone surrogates cannot be written as UTF-8 (no file system takes them).
        if c not in _BIDI and unicodedata.category(c) != "Cs"
    )
    # After the removals: a dropped override between a letter and its accent joins them.
    text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())
    text = _cut(text.strip(" ."), max_bytes).strip(" .")
    if not text:
        return "_"
    base, dot, rest = text.partition(".")
    if base.rstrip(" ").upper() in _RESERVED:
        # `CON_.txt`: no longer the device, and safe_name of it is itself.
        text = _cut(f"{base.rstrip(' ')}_{dot}{rest}", max_bytes).strip(" .")
    return text


def _cut(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def check_template(template: str) -> str:
    """`template` when it can make paths: known placeholders, relative, ends in `.{ext}`.

    A template without `{ext}` gets `.{ext}` appended: a file without its extension would
    not play. Raises InvalidArgument naming the problem (settings call this at start-up).
    """
    if not template.strip():
        raise InvalidArgument("the path template is empty")
    for name in _PLACEHOLDER.findall(template):
        if name != "ext" and name not in FIELDS:
            known = ", ".join("{" + f + "}" for f in (*FIELDS, "ext"))
            raise InvalidArgument(f"unknown placeholder {{{name}}} in the path template ({known})")
    if template.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", template):
        raise InvalidArgument("the path template must be relative to the downloads folder")
    if "{ext}" not in template:
        template += ".{ext}"
    return template


def file_path(track_fields: Mapping[str, Any], ext: str, template: str = DEFAULT) -> PurePosixPath:
    """The file's path relative to the downloads folder, `/` between folders.

    `track_fields` maps placeholder names (FIELDS) to values; `artists` may be a list, track
    and disc numbers are zero-padded to two digits. Each value is made one safe name (a `/`
    in a title never makes a folder), then every folder and file name of the result is made
    safe again, so the template's own text cannot climb out either.
    """
    ext = ext.lower().lstrip(".")
    if not _EXT.fullmatch(ext):
        raise InvalidArgument(f"not a file extension: {ext!r}")
    template = check_template(template)
    fields = dict(track_fields)
    artists = fields.get("artists")
    first_artist = artists[0] if isinstance(artists, (list, tuple)) and artists else artists
    fields["artist"] = fields.get("artist") or first_artist
    # A single's album artist is its artist; a date's year is what `{year}` wants.
    fields["album artist"] = fields.get("album artist") or fields["artist"]
    fields["year"] = fields.get("year") or str(fields.get("date") or "")[:4]
    values = {name: _value(name, fields.get(name)) for name in FIELDS}
    values["ext"] = ext

    def filled(m: re.Match[str]) -> str:
        # A separator cannot come out of a value: safe_name replaced them all.
        value = values[m.group(1)]
        if m.group(1) == "ext":
            return ext
        # A field the track lacks leaves its place empty; the name as a whole is made safe.
        return safe_name(value) if value else ""

    parts = re.split(r"[/\\]", template)
    names = [_PLACEHOLDER.sub(filled, part) for part in parts]
    names = [n for n in names if n.strip(" .")]
    if not names:
        raise InvalidArgument("the path template makes an empty path")
    *folders, file = names
    stem, dot, suffix = file.rpartition(".")
    file_name = f"{safe_name(stem)}.{suffix}" if dot and suffix == ext else safe_name(file)
    return PurePosixPath(*(safe_name(f) for f in folders), file_name)


def _value(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return MISSING.get(name, "")
    if name == "artists" and isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value if v)
    if name in ("track number", "disc number"):
        try:
            return f"{int(value):02d}"
        except (TypeError, ValueError):
            return str(value)
    return str(value)
