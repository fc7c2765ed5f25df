"""The library service's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from kit.metrics import MetricsSettings
from kit.settings import DatabaseSettings, SpotifyConcurrencySettings, TapedeckSettings
from kit.spotify.limiter import LimiterSettings
from library.restores.settings import RestoreSettings
from library.retention import Rule, parse_rule


class LibrarySettings(
    TapedeckSettings,
    SpotifyConcurrencySettings,
    DatabaseSettings,
    MetricsSettings,
    RestoreSettings,
    LimiterSettings,
):
    # Deadline of one kind's whole sync: a large library, slowed by Spotify's rate limits,
    # may take a long time, but never forever.
    sync_timeout_s: float = Field(default=6 * 3600, gt=0)
    # Seconds between persisted progress writes of one save (state changes are written at once).
    progress_write_interval_s: float = Field(default=0.25, ge=0)
    # How long a save outlives its replica's last heartbeat (a third of this apart) before
    # another replica, or this one restarted, ends it as interrupted.
    save_lease_s: float = Field(default=30.0, gt=0)
    # Saves running at once in this process; more wait, queued.
    max_running_saves: int = Field(default=16, ge=1)
    # Threads serving calls; a WatchSaves call (one per gateway replica) holds one while it
    # streams, as would a WatchSave.
    rpc_workers: int = Field(default=64, ge=4)
    # The least time between the starts of two full saves of one user (0: no limit): a full
    # save refetches the whole library from Spotify.
    full_save_cooldown_s: float = Field(default=300.0, ge=0)
    # Which saves are kept (library.retention) for users who set no rule of their own:
    # `last=N,daily=N,weekly=N,monthly=N`, each 0-1000, parts not named 0.
    retention: str = "last=10,daily=14,weekly=8,monthly=24"
    # Seconds between two prunings of every user's saves (each save also prunes its user's
    # when it ends).
    retention_interval_s: float = Field(default=86400.0, gt=0)
    # Automatic saves (library.schedule): `on` runs them from this process's own scheduler;
    # `off` leaves them to `python -m library run-scheduled` (a Kubernetes CronJob).
    scheduler: Literal["on", "off"] = "on"
    # Seconds between two looks for due automatic saves, and the most one look starts.
    scheduler_interval_s: float = Field(default=60.0, gt=0)
    scheduler_batch: int = Field(default=50, ge=1)

    @field_validator("retention")
    @classmethod
    def _a_rule(cls, value: str) -> str:
        parse_rule(value)
        return value

    @property
    def retention_rule(self) -> Rule:
        return parse_rule(self.retention)
