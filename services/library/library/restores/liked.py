"""Liked Songs restored with the dates they were first liked, where Spotify still allows it.

Spotify's 2026 `PUT /me/library` likes a song at the moment it is called: the dates a save
holds are lost through it. The older `PUT /me/tracks` takes `timestamped_ids` (`{"id",
"added_at"}`, at most 50 a call) and likes each song at the time given, placed among the
others by it; development-mode apps lost it in February 2026 (403), extended-quota apps keep
it. A restore uses it when the installation says its app has extended quota
(TAPEDECK_SPOTIFY_EXTENDED_QUOTA) and the source knows every date (a save does; an import
does not carry them). A dry run cannot try it (that would be a write), so its plan says what
the setting promises; should Spotify refuse the older endpoint during the run, the rest goes
through `PUT /me/library` and the restore's plan says the dates were not kept."""

from __future__ import annotations

from collections.abc import Callable

from kit.spotify.client import SpotifyRefused
from library.restores.sources import Source
from library.restores.spotify import TIMESTAMPED_PER_WRITE, SpotifyAccount

# The plan's `liked` field saying whether the songs keep their original dates.
DATES_KEPT = "dates_kept"
# What Spotify answers a development-mode app for the older endpoint (and a 404 should it
# go altogether).
_GONE = (403, 404)


def keeps_dates(source: Source, extended_quota: bool) -> bool:
    """Whether a restore of this source's Liked Songs writes their original dates."""
    return extended_quota and all(u in source.liked_added_at for u in source.liked)


def save_dated(
    account: SpotifyAccount,
    adds: list[str],
    added_at: dict[str, str],
    before_each: Callable[[], None],
    wrote: Callable[[int], None],
) -> list[str]:
    """Likes `adds` (track URIs) at their `added_at`, 50 a call, each call's count handed
    to `wrote` once it succeeded; answers what is left unsaved when Spotify refuses the
    older endpoint (nothing when every call went)."""
    for start in range(0, len(adds), TIMESTAMPED_PER_WRITE):
        before_each()
        chunk = adds[start : start + TIMESTAMPED_PER_WRITE]
        try:
            account.save_tracks_dated([(uri, added_at[uri]) for uri in chunk])
        except SpotifyRefused as refused:
            if refused.status not in _GONE:
                raise
            return adds[start:]
        wrote(len(chunk))
    return []
