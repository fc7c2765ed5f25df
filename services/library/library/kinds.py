"""The kinds of a library a save holds, and the services that own them."""

from __future__ import annotations

from collections.abc import Iterable

from kit import errors

KINDS = ("playlists", "tracks", "albums", "artists")

# The entity service that owns each kind (a name for settings.addr()).
SERVICE_OF = {"playlists": "playlist", "tracks": "track", "albums": "album", "artists": "artist"}


def chosen_kinds(names: Iterable[str]) -> tuple[str, ...]:
    """The kinds a save covers, in canonical order without repeats; none given means all."""
    given = list(names)
    unknown = sorted({name for name in given if name not in KINDS})
    if unknown:
        raise errors.InvalidArgument(f"unknown kinds: {', '.join(unknown)}")
    if not given:
        return KINDS
    return tuple(kind for kind in KINDS if kind in given)


def require_kind(name: str) -> str:
    if name not in KINDS:
        raise errors.InvalidArgument("kind must be one of: " + ", ".join(KINDS))
    return name
