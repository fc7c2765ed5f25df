"""What ids look like, so a malformed one is answered 404 without asking any service."""

from __future__ import annotations

import re

from kit import errors

_SAVE_ID = re.compile(r"[0-9a-f]{32}")
# Spotify ids are base62 (22 characters today); a little room, nothing else.
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{1,64}")


def save_id(value: str) -> str:
    if not _SAVE_ID.fullmatch(value):
        raise errors.NotFound("no such save")
    return value


def optional_save_id(value: str | None) -> str:
    return "" if value is None else save_id(value)


def spotify_id(value: str, what: str) -> str:
    if not _SPOTIFY_ID.fullmatch(value):
        raise errors.NotFound(f"no such {what}")
    return value
