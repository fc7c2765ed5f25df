"""What Spotify ids look like, so a malformed one is answered 404 without asking any service.
(Save ids are the library's: it mints them and judges them.)"""

from __future__ import annotations

import re

from kit import errors

# Spotify ids are base62 (22 characters today); a little room, nothing else.
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{1,64}")


def spotify_id(value: str, what: str) -> str:
    if not _SPOTIFY_ID.fullmatch(value):
        raise errors.NotFound(f"no such {what}")
    return value
