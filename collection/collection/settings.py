"""An entity service's settings: the kit's shared ones, and how its syncs call Spotify."""

from __future__ import annotations

from pydantic import Field

from kit.metrics import MetricsSettings
from kit.settings import (
    DatabaseSettings,
    SpotifyConcurrencySettings,
    SpotifySettings,
    TapedeckSettings,
)
from kit.spotify.limiter import LimiterSettings


class EntitySettings(
    TapedeckSettings,
    SpotifySettings,
    SpotifyConcurrencySettings,
    DatabaseSettings,
    MetricsSettings,
    LimiterSettings,
):
    # Page size of /playlists/{id}/items: 50 is documented for development-mode apps; 100
    # works for extended-quota apps. A 400 to a limit steps it down on its own.
    spotify_playlist_items_page_size: int = Field(default=50, ge=1, le=100)
    # A Retry-After longer than this fails the sync (rate_limited) instead of waiting.
    spotify_max_retry_after_s: float = Field(default=300, ge=0)
    # Tries of one request that meets 5xx or a dropped connection.
    spotify_attempts: int = Field(default=6, ge=1)
    # Threads serving calls; every running sync holds one.
    rpc_workers: int = Field(default=32, ge=4)
    # Staged listings older than this are what a killed sync left, and are dropped: keep it
    # above the library's TAPEDECK_SYNC_TIMEOUT_S (6 h), the longest a sync may run.
    staged_max_age_s: float = Field(default=7 * 3600, gt=0)
    staged_sweep_interval_s: float = Field(default=3600, gt=0)
