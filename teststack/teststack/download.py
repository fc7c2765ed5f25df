"""The download service, for tests: its gRPC server on the test's database, and its
embedded workers only when a test asks (`download_embedded_worker=True`). `downloads`
records finished downloads directly, for tests of the exports that need a file without
running a job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from download.downloads import Downloads
from download.server import create_download_server
from download.settings import DownloadSettings
from download.wiring import Built, build
from teststack.running import Running


@dataclass
class StartedDownload:
    running: Running
    downloads: Downloads
    downloads_dir: Path
    built: Built


def download_settings(database_url: str, data_dir: Path, **overrides: Any) -> DownloadSettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "download_database_url": database_url,
        # Tests' jobs start at once and show progress quickly.
        "download_poll_s": 0.2,
        "download_heartbeat_s": 0.2,
        "download_retry_base_s": 0.05,
        "download_socket_timeout_s": 5.0,
        # No test may reach the internet: jobs run only in tests that ask for workers (and
        # point the `url` source at a local server).
        "download_embedded_worker": False,
    }
    values.update(overrides)
    return DownloadSettings(_env_file=None, **values)


def start_download(
    *,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    address: str = "127.0.0.1:0",
    library_address: str = "127.0.0.1:1",
    **overrides: Any,
) -> StartedDownload:
    """`library_address`: where enqueues read the user's tracks (none by default: tests of
    the files alone need no library)."""
    settings = download_settings(database_url, data_dir, library_addr=library_address, **overrides)
    built = build(settings, internal_token)
    served = create_download_server(built.servicer, address, internal_token)
    served.start()
    return StartedDownload(
        Running("download", served, [built.close]),
        built.downloads,
        settings.downloads_folder,
        built,
    )
