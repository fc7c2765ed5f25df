"""What a worker process builds from settings: the queue on the service's database, and the
workers' settings. Apart from wiring.py so that `python -m download worker` imports no gRPC."""

from __future__ import annotations

from pathlib import Path

from download.fetch import FetchSettings, ffmpeg_path
from download.settings import DownloadSettings
from download.store import JobStore
from download.worker import WorkerSettings
from kit.database import Database, open_database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def worker_settings(settings: DownloadSettings) -> WorkerSettings:
    return WorkerSettings(
        downloads=settings.downloads_folder,
        fetch=FetchSettings(
            url_template=settings.download_url_template,
            cookies_file=settings.download_cookies,
            socket_timeout_s=settings.download_socket_timeout_s,
            audio_format=settings.download_format,
            audio_quality=settings.download_quality_kbps,
            ffmpeg=ffmpeg_path(),
        ),
        path_template=settings.download_path_template,
        concurrency=settings.download_concurrency,
        lease_s=settings.download_lease_s,
        heartbeat_s=settings.download_heartbeat_s,
        poll_s=settings.download_poll_s,
        max_attempts=settings.download_max_attempts,
        retry_base_s=settings.download_retry_base_s,
        blocked_pause_s=settings.download_blocked_pause_s,
    )


def open_queue(settings: DownloadSettings) -> tuple[JobStore, Database]:
    db = open_database(settings.url_for("download", settings.data_dir), MIGRATIONS)
    return JobStore(db), db
