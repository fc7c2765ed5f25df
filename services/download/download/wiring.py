"""Builds the download service's real parts from settings (used by __main__ and by tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc

from download.downloads import Downloads
from download.jobs import Jobs
from download.library_tracks import LibraryTracks
from download.servicer import DownloadServicer
from download.settings import DownloadSettings
from download.store import DownloadStore, JobStore
from download.worker import Workers
from download.worker_wiring import MIGRATIONS, open_queue, worker_settings
from kit.channels import open_channel
from kit.credentials import credential_for
from kit.database import Database
from kit.tls import GrpcTls

__all__ = ["MIGRATIONS", "Built", "build", "open_queue", "worker_settings"]


@dataclass
class Built:
    servicer: DownloadServicer
    downloads: Downloads
    jobs: Jobs
    queue: JobStore
    db: Database
    # This process's workers, when it runs them (TAPEDECK_DOWNLOAD_EMBEDDED_WORKER).
    workers: Workers | None = None
    channels: list[grpc.Channel] = field(default_factory=list)

    def close(self) -> None:
        """Stops the workers (their running jobs go back to the queue), then lets go of the
        channels and the database."""
        if self.workers is not None:
            self.workers.stop()
        for channel in self.channels:
            channel.close()
        self.db.dispose()


def build(settings: DownloadSettings, internal_token: str, *, tls: GrpcTls | None = None) -> Built:
    queue, db = open_queue(settings)
    downloads = Downloads(DownloadStore(db))
    library = open_channel(
        settings.library_addr,
        credential_for(internal_token, "download"),
        settings.rpc_timeout_s,
        tls=tls,
    )
    unavailable = {}
    if not settings.download_url_template:
        unavailable["url"] = "the url source needs TAPEDECK_DOWNLOAD_URL_TEMPLATE to be set"
    jobs = Jobs(
        queue,
        LibraryTracks(library),
        settings.downloads_folder,
        default_source=settings.download_source,
        unavailable=unavailable,
    )
    workers = None
    if settings.download_embedded_worker:
        workers = Workers(queue, worker_settings(settings)).start()
    servicer = DownloadServicer(
        downloads,
        str(settings.downloads_folder),
        jobs,
        queued=workers.wake if workers is not None else lambda: None,
    )
    return Built(servicer, downloads, jobs, queue, db, workers, [library])
