"""The download service's settings."""

from __future__ import annotations

from kit.settings import DatabaseSettings, TapedeckSettings


class DownloadSettings(TapedeckSettings, DatabaseSettings):
    pass
