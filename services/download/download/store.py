"""The download service's tables and every query on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from download.downloads import Downloaded
from kit.database import Database, UtcDateTime

# Ids per query: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 500


class Base(DeclarativeBase):
    pass


class DownloadRow(Base):
    """A finished download: one file per user and track."""

    __tablename__ = "downloads"

    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    track_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Relative to the downloads folder, `/` between folders.
    path: Mapped[str] = mapped_column(sa.Text)
    format: Mapped[str] = mapped_column(sa.String(16))
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DownloadStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, user_id: str, file: Downloaded, now: datetime) -> None:
        """Records a finished download, replacing the user's earlier file of that track."""
        with self._db.write() as s:
            s.merge(
                DownloadRow(
                    user_id=user_id,
                    track_id=file.track_id,
                    path=file.path,
                    format=file.format,
                    duration_ms=file.duration_ms,
                    finished_at=now,
                )
            )

    def finished(self, user_id: str, track_ids: Sequence[str]) -> list[Downloaded]:
        """The user's finished downloads among `track_ids`, in no particular order."""
        found: list[Downloaded] = []
        with self._db.read() as s:
            for start in range(0, len(track_ids), _CHUNK):
                rows = s.scalars(
                    sa.select(DownloadRow).where(
                        DownloadRow.user_id == user_id,
                        DownloadRow.track_id.in_(track_ids[start : start + _CHUNK]),
                    )
                )
                found.extend(Downloaded(r.track_id, r.path, r.format, r.duration_ms) for r in rows)
        return found
