"""The download service's tables and every query on them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from download.downloads import Downloaded
from download.jobs import ACTIVE, Done, Job, JobStatus, MatchInfo, NewJob, Page, TrackInfo
from kit.database import Database, UtcDateTime
from kit.errors import NotFound

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


class JobRow(Base):
    """A download job (migrations/versions/0002_jobs.py)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    track_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16))
    track_json: Mapped[str] = mapped_column(sa.Text)
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    source_url: Mapped[str] = mapped_column(sa.Text, default="")
    match_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    path: Mapped[str] = mapped_column(sa.Text, default="")
    format: Mapped[str] = mapped_column(sa.String(16), default="")
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    checksum: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # A queued job is not claimed before this (retry back-off).
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    # A running job whose lease has passed is claimed again: its worker died.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    __table_args__ = (
        sa.Index(
            "jobs_active_track",
            "user_id",
            "track_id",
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running', 'succeeded')"),
            postgresql_where=sa.text("status IN ('queued', 'running', 'succeeded')"),
        ),
        sa.Index("jobs_user_created", "user_id", "created_at"),
        sa.Index("jobs_claim", "status", "not_before"),
    )


class PauseRow(Base):
    """A source no worker claims jobs of until `until` (YouTube asking for a sign-in)."""

    __tablename__ = "pauses"

    source: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(sa.Text)


def _job(row: JobRow) -> Job:
    match = None
    if row.match_json:
        m = json.loads(row.match_json)
        match = MatchInfo(m["title"], m["uploader"], float(m["duration_s"]), float(m["score"]))
    return Job(
        id=row.id,
        user_id=row.user_id,
        track=TrackInfo.from_json(row.track_json),
        status=JobStatus(row.status),
        source=row.source,
        created_at=row.created_at,
        progress=row.progress,
        attempts=row.attempts,
        error=row.error,
        source_url=row.source_url,
        match=match,
        path=row.path,
        format=row.format,
        bytes=row.bytes,
        checksum=row.checksum,
        finished_at=row.finished_at,
        cancel_requested=row.cancel_requested,
        worker=row.worker or "",
    )


class JobStore:
    """Every query on the jobs and pauses tables. A worker's writes name the attempt it
    claimed (`worker`, `attempt`): once its lease has passed and another worker has claimed
    the job, they change nothing."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, user_id: str, new: Sequence[NewJob], now: datetime) -> list[Job]:
        jobs: list[Job] = []
        for start in range(0, len(new), _CHUNK):
            jobs.extend(self._add_chunk(user_id, new[start : start + _CHUNK], now))
        return jobs

    def _add_chunk(self, user_id: str, new: Sequence[NewJob], now: datetime) -> list[Job]:
        ids = [n.track.id for n in new]
        while True:
            try:
                with self._db.write() as s:
                    existing = {
                        r.track_id: r
                        for r in s.scalars(
                            sa.select(JobRow).where(
                                JobRow.user_id == user_id,
                                JobRow.track_id.in_(ids),
                                JobRow.status.in_([st.value for st in ACTIVE]),
                            )
                        )
                    }
                    rows: list[JobRow] = []
                    for n in new:
                        row = existing.get(n.track.id)
                        if row is None:
                            row = _new_row(user_id, n, now)
                            s.add(row)
                            existing[n.track.id] = row
                        rows.append(row)
                    s.flush()
                    return [_job(r) for r in rows]
            except IntegrityError:
                # Another enqueue of the same track won the race: read its job instead.
                continue

    def requeue(self, user_id: str, job_id: str, now: datetime) -> Job:
        with self._db.write() as s:
            row = s.get(JobRow, job_id)
            if row is None or row.user_id != user_id:
                raise NotFound("no such download")
            if row.status == JobStatus.SUCCEEDED:
                _reset(row, now)
                s.execute(
                    sa.delete(DownloadRow).where(
                        DownloadRow.user_id == user_id, DownloadRow.track_id == row.track_id
                    )
                )
            return _job(row)

    def page(self, user_id: str, status: JobStatus | None, offset: int, limit: int) -> Page:
        where = [JobRow.user_id == user_id]
        if status is not None:
            where.append(JobRow.status == status.value)
        with self._db.read() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(JobRow).where(*where)) or 0
            rows = s.scalars(
                sa.select(JobRow)
                .where(*where)
                .order_by(JobRow.created_at.desc(), JobRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return Page([_job(r) for r in rows], total)

    def get(self, user_id: str, job_id: str) -> Job | None:
        with self._db.read() as s:
            row = s.get(JobRow, job_id)
            return _job(row) if row is not None and row.user_id == user_id else None

    def cancel(self, user_id: str, job_id: str, now: datetime) -> Job | None:
        with self._db.write() as s:
            row = s.get(JobRow, job_id)
            if row is None or row.user_id != user_id:
                return None
            if row.status == JobStatus.QUEUED:
                row.status = JobStatus.CANCELLED.value
                row.finished_at = now
            elif row.status == JobStatus.RUNNING:
                row.cancel_requested = True
            return _job(row)

    def remove(self, user_id: str, job_id: str) -> None:
        with self._db.write() as s:
            row = s.get(JobRow, job_id)
            if row is None or row.user_id != user_id:
                return
            if row.status == JobStatus.SUCCEEDED:
                s.execute(
                    sa.delete(DownloadRow).where(
                        DownloadRow.user_id == user_id, DownloadRow.track_id == row.track_id
                    )
                )
            s.delete(row)

    # The workers' side.

    def claim(self, worker: str, now: datetime, lease_s: float) -> Job | None:
        """The oldest job ready to run, now this worker's: a queued one past its back-off, or
        a running one whose worker's lease has passed. On PostgreSQL rows other workers are
        claiming are skipped (FOR UPDATE SKIP LOCKED), so any number of workers claim in
        parallel and never the same job; SQLite's write lock lets one claim at a time."""
        with self._db.write() as s:
            paused = [p.source for p in s.scalars(sa.select(PauseRow).where(PauseRow.until > now))]
            ready = sa.or_(
                sa.and_(JobRow.status == JobStatus.QUEUED.value, JobRow.not_before <= now),
                sa.and_(
                    JobRow.status == JobStatus.RUNNING.value,
                    JobRow.lease_until < now,
                    JobRow.cancel_requested.is_(False),
                ),
            )
            query = sa.select(JobRow).where(ready)
            if paused:
                query = query.where(JobRow.source.not_in(paused))
            row = s.scalars(
                query.order_by(JobRow.not_before, JobRow.created_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            row.status = JobStatus.RUNNING.value
            row.attempts += 1
            row.worker = worker
            row.lease_until = now + timedelta(seconds=lease_s)
            row.started_at = now
            row.progress = 0.0
            return _job(row)

    def reap(self, now: datetime) -> list[str]:
        """Ends `cancelled` the jobs cancelled while running whose worker then died (their
        lease passed): they are not run again. Answers their ids (their temporary folders
        are left to clear)."""
        with self._db.write() as s:
            rows = list(
                s.scalars(
                    sa.select(JobRow)
                    .where(
                        JobRow.status == JobStatus.RUNNING.value,
                        JobRow.lease_until < now,
                        JobRow.cancel_requested.is_(True),
                    )
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.status = JobStatus.CANCELLED.value
                row.error = "cancelled"
                row.finished_at = now
                row.lease_until = None
                row.cancel_requested = False
            return [row.id for row in rows]

    def heartbeat(
        self, job: Job, worker: str, now: datetime, lease_s: float, progress: float
    ) -> bool | None:
        """Extends the lease and records progress. None when the job is no longer this
        attempt's (lease lost, or removed); else whether a cancel was asked."""
        with self._db.write() as s:
            row = s.get(JobRow, job.id)
            if not _owned(row, job, worker):
                return None
            assert row is not None
            row.lease_until = now + timedelta(seconds=lease_s)
            row.progress = progress
            return row.cancel_requested

    def succeed(self, job: Job, worker: str, now: datetime, done: Done) -> bool:
        """The job succeeded with its file in place: recorded with the finished download
        the exports read, in one transaction."""
        with self._db.write() as s:
            row = s.get(JobRow, job.id)
            if not _owned(row, job, worker):
                return False
            assert row is not None
            row.status = JobStatus.SUCCEEDED.value
            row.progress = 1.0
            row.error = ""
            row.source_url = done.source_url
            row.match_json = json.dumps(asdict(done.match)) if done.match else None
            row.path = done.path
            row.format = done.format
            row.bytes = done.bytes
            row.checksum = done.checksum
            row.finished_at = now
            row.lease_until = None
            s.merge(
                DownloadRow(
                    user_id=row.user_id,
                    track_id=row.track_id,
                    path=done.path,
                    format=done.format,
                    duration_ms=done.duration_ms,
                    finished_at=now,
                )
            )
            return True

    def end(
        self,
        job: Job,
        worker: str,
        now: datetime,
        status: JobStatus,
        error: str,
        *,
        not_before: datetime | None = None,
        match: MatchInfo | None = None,
        source_url: str = "",
    ) -> bool:
        """Ends this attempt: `failed` or `cancelled` for good, or `queued` again for a retry
        after `not_before`."""
        with self._db.write() as s:
            row = s.get(JobRow, job.id)
            if not _owned(row, job, worker):
                return False
            assert row is not None
            row.status = status.value
            row.error = error
            row.lease_until = None
            row.worker = None
            if match is not None:
                row.match_json = json.dumps(asdict(match))
            if source_url:
                row.source_url = source_url
            if status == JobStatus.QUEUED:
                row.not_before = not_before or now
                row.progress = 0.0
            else:
                row.finished_at = now
                row.cancel_requested = False
            return True

    def pause(self, source: str, until: datetime, reason: str) -> None:
        with self._db.write() as s:
            s.merge(PauseRow(source=source, until=until, reason=reason))

    def paused_until(self, source: str, now: datetime) -> datetime | None:
        with self._db.read() as s:
            row = s.get(PauseRow, source)
            return row.until if row is not None and row.until > now else None


def _owned(row: JobRow | None, job: Job, worker: str) -> bool:
    return (
        row is not None
        and row.status == JobStatus.RUNNING.value
        and row.worker == worker
        and row.attempts == job.attempts
    )


def _new_row(user_id: str, new: NewJob, now: datetime) -> JobRow:
    return JobRow(
        id=uuid.uuid4().hex,
        user_id=user_id,
        track_id=new.track.id,
        status=JobStatus.QUEUED.value,
        source=new.source,
        track_json=new.track.to_json(),
        progress=0.0,
        attempts=0,
        error="",
        source_url="",
        match_json=None,
        path="",
        format="",
        bytes=0,
        checksum="",
        created_at=now,
        not_before=now,
        cancel_requested=False,
    )


def _reset(row: JobRow, now: datetime) -> None:
    row.status = JobStatus.QUEUED.value
    row.progress = 0.0
    row.attempts = 0
    row.error = ""
    row.path = ""
    row.bytes = 0
    row.checksum = ""
    row.finished_at = None
    row.not_before = now
