"""The download service's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from pathlib import Path

from kit.settings import DatabaseSettings, TapedeckSettings


class DownloadSettings(TapedeckSettings, DatabaseSettings):
    # Where finished audio files are kept; TAPEDECK_DATA_DIR/downloads when unset.
    downloads_dir: Path | None = None

    @property
    def downloads_folder(self) -> Path:
        return (self.downloads_dir or self.data_dir / "downloads").resolve()
