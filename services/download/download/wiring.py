"""Builds the download service's real parts from settings (used by __main__ and by tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from download.downloads import Downloads
from download.servicer import DownloadServicer
from download.settings import DownloadSettings
from download.store import DownloadStore
from kit.database import Database, open_database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class Built:
    servicer: DownloadServicer
    downloads: Downloads
    db: Database


def build(settings: DownloadSettings) -> Built:
    db = open_database(settings.url_for("download", settings.data_dir), MIGRATIONS)
    downloads = Downloads(DownloadStore(db))
    servicer = DownloadServicer(downloads, str(settings.downloads_folder))
    return Built(servicer, downloads, db)
