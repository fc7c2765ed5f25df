"""The restores' settings, part of the library service's (docs/operations.md)."""

from __future__ import annotations

from pydantic import Field

from kit.settings import SpotifySettings


class RestoreSettings(SpotifySettings):
    # Restores running at once in this process; more wait, queued.
    restore_workers: int = Field(default=4, ge=1, le=64)
    # How long a restore keeps trying while Spotify fails (5xx, lost answers) before it
    # ends failed; what it wrote is recorded, so a new restore goes on from there.
    restore_retry_s: float = Field(default=600.0, gt=0)
    # Tries of one request that fails with a 5xx or a dropped connection (idempotent ones).
    restore_spotify_attempts: int = Field(default=6, ge=1)
    # Playlists one restore writes at once (each one's batches in order, one at a time):
    # its requests in flight.
    restore_concurrency: int = Field(default=4, ge=1, le=32)
    # The Spotify app has extended quota (not development mode), so it may still use the
    # older PUT /me/tracks, whose timestamped_ids keep Liked Songs' original dates when they
    # are restored; otherwise (and should Spotify refuse it) they go through PUT /me/library,
    # which likes them at the time of the restore (library.restores.liked).
    spotify_extended_quota: bool = False
