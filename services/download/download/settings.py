"""The download service's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from download.paths import DEFAULT, check_template
from kit.errors import InvalidArgument
from kit.settings import DatabaseSettings, TapedeckSettings


class DownloadSettings(TapedeckSettings, DatabaseSettings):
    # Where finished audio files are kept; TAPEDECK_DATA_DIR/downloads when unset.
    downloads_dir: Path | None = None
    # Where a track's file goes under the downloads folder (each user has a folder of their
    # own); docs/operations.md lists the placeholders.
    download_path_template: str = DEFAULT
    # Where a job looks when its request names none.
    download_source: Literal["youtube", "soundcloud", "url"] = "youtube"
    # The `url` source: {isrc}, {track_id}, {artist}, {title} filled in (URL-encoded).
    download_url_template: str | None = None
    # A cookies.txt (Netscape format) of a signed-in browser session, for YouTube's sign-in
    # checks.
    download_cookies: Path | None = None
    # "native" keeps the source's container (no ffmpeg needed); mp3/m4a convert when ffmpeg
    # is present (without it the native file is kept).
    download_format: Literal["native", "mp3", "m4a"] = "native"
    download_quality_kbps: int = Field(default=192, ge=32, le=320)
    # Downloads one process runs at once.
    download_concurrency: int = Field(default=2, ge=1, le=64)
    # Worker processes `python -m download worker` starts (each runs download_concurrency).
    download_worker_processes: int = Field(default=1, ge=1, le=64)
    # Whether the service process runs workers itself (the embedded default); a cluster sets
    # it false and runs `python -m download worker` as a Deployment of its own.
    download_embedded_worker: bool = True
    # A running job's lease: a worker that died lets go of its job after this long.
    download_lease_s: float = Field(default=60.0, ge=1)
    download_heartbeat_s: float = Field(default=5.0, gt=0)
    download_poll_s: float = Field(default=2.0, gt=0)
    download_max_attempts: int = Field(default=3, ge=1, le=20)
    download_retry_base_s: float = Field(default=30.0, ge=0)
    # How long every YouTube job waits after YouTube asked for a sign-in or a JS runtime.
    download_blocked_pause_s: float = Field(default=1800.0, ge=0)
    download_socket_timeout_s: float = Field(default=30.0, gt=0)

    @property
    def downloads_folder(self) -> Path:
        return (self.downloads_dir or self.data_dir / "downloads").resolve()

    @field_validator("download_path_template")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            return check_template(value)
        except InvalidArgument as exc:
            raise ValueError(exc.message) from None

    @field_validator("download_cookies")
    @classmethod
    def _cookies(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value
