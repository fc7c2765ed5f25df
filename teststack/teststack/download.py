"""The download service, for tests. Until the downloads issue's workers exist, tests record
finished downloads through its `Downloads` (the same database the service answers from)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from download.downloads import Downloads
from download.server import create_download_server
from download.settings import DownloadSettings
from download.wiring import build
from teststack.running import Running


@dataclass
class StartedDownload:
    running: Running
    downloads: Downloads
    downloads_dir: Path


def download_settings(database_url: str, data_dir: Path, **overrides: Any) -> DownloadSettings:
    values: dict[str, Any] = {"data_dir": data_dir, "download_database_url": database_url}
    values.update(overrides)
    return DownloadSettings(_env_file=None, **values)


def start_download(
    *,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    address: str = "127.0.0.1:0",
    **overrides: Any,
) -> StartedDownload:
    settings = download_settings(database_url, data_dir, **overrides)
    built = build(settings)
    served = create_download_server(built.servicer, address, internal_token)
    served.start()
    return StartedDownload(
        Running("download", served, [built.db.dispose]), built.downloads, settings.downloads_folder
    )
