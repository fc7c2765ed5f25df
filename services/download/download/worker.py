"""Download workers: threads that claim jobs from the database, run them, and end them.

Any number of worker processes may share one database (PostgreSQL; SQLite: one process).
A running job holds a lease that its worker's heartbeat extends; a worker that dies stops
extending it, and once it has passed another worker claims the job again. Every write of
an attempt names the attempt, so a worker that lost its lease changes nothing.

yt-dlp blocks: each concurrent download has a thread of its own."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from download.fetch import (
    Cancelled,
    Fetched,
    FetchError,
    FetchSettings,
    Permanent,
    SourceBlocked,
    Transient,
    fetch,
)
from download.files import clear_temporary, fetch_cover, place, temporary_folder
from download.jobs import Done, Job, JobStatus, MatchInfo

log = logging.getLogger(__name__)


class Queue(Protocol):
    """The store's side the workers use (download.store.JobStore)."""

    def claim(self, worker: str, now: datetime, lease_s: float) -> Job | None: ...

    def heartbeat(
        self, job: Job, worker: str, now: datetime, lease_s: float, progress: float
    ) -> bool | None: ...

    def succeed(self, job: Job, worker: str, now: datetime, done: Done) -> bool: ...

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
    ) -> bool: ...

    def pause(self, source: str, until: datetime, reason: str) -> None: ...

    def reap(self, now: datetime) -> list[str]: ...


@dataclass(frozen=True)
class WorkerSettings:
    downloads: Path
    fetch: FetchSettings
    path_template: str
    # Downloads this process runs at once.
    concurrency: int = 2
    lease_s: float = 60.0
    # How often a running job's lease is extended and its progress written.
    heartbeat_s: float = 2.0
    # How long an idle worker waits before it looks for work again (an enqueue in this
    # process wakes it at once).
    poll_s: float = 1.0
    max_attempts: int = 3
    # The first retry's delay; each further one doubles it.
    retry_base_s: float = 30.0
    # How long every job of a source waits once it asked for a sign-in or a JS runtime.
    blocked_pause_s: float = 1800.0
    cover_timeout_s: float = 5.0


# fetch's signature: the worker runs it, tests may hand another that does the same steps.
Fetch = Callable[..., Fetched]


@dataclass
class Attempt:
    """One running attempt of a job, as this process sees it."""

    job: Job
    progress: float = 0.0
    # Set when a cancel was asked, or the lease was lost: the download stops.
    stop: threading.Event = field(default_factory=threading.Event)
    lost: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


class Workers:
    """`concurrency` threads of one process claiming and running jobs, and one heartbeat."""

    def __init__(
        self, queue: Queue, settings: WorkerSettings, *, name: str = "", run: Fetch = fetch
    ) -> None:
        self._queue = queue
        self._settings = settings
        self._fetch = run
        self.name = name or f"worker-{uuid.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._woken = False
        self._running: dict[str, Attempt] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> Workers:
        for n in range(self._settings.concurrency):
            thread = threading.Thread(target=self._loop, name=f"download-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeats, name="download-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        log.info("download workers started", extra={"worker": self.name})
        return self

    def wake(self) -> None:
        """New jobs are queued: idle threads look at once instead of at their next poll."""
        with self._wake:
            self._woken = True
            self._wake.notify_all()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stops claiming; running downloads stop and go back to the queue at once (not
        after a lease), for another worker or the next start."""
        self._stopping.set()
        with self._lock:
            for attempt in self._running.values():
                attempt.stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self.run_one()
            except Exception:
                log.exception("download worker: claiming failed")
                worked = False
            if not worked:
                with self._wake:
                    if not self._woken:
                        self._wake.wait(self._settings.poll_s)
                    self._woken = False

    def run_one(self) -> bool:
        """Claims one job and runs it to its end; False when none was ready."""
        job = self._queue.claim(self.name, _now(), self._settings.lease_s)
        if job is None:
            # Idle: end what was cancelled on a worker that died since.
            for job_id in self._queue.reap(_now()):
                clear_temporary(self._settings.downloads, job_id)
            return False
        attempt = Attempt(job)
        with self._lock:
            self._running[job.id] = attempt
            if self._stopping.is_set():
                # Claimed as the workers were stopping: straight back to the queue.
                attempt.stop.set()
        try:
            self._run(attempt)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            clear_temporary(self._settings.downloads, job.id)
        return True

    def _run(self, attempt: Attempt) -> None:
        job, s = attempt.job, self._settings
        log.info("download started", extra={"job": job.id, "attempt": job.attempts})
        folder = temporary_folder(s.downloads, job.id)

        def progress(share: float) -> None:
            attempt.progress = share

        try:
            fetched = self._fetch(
                job.track, job.source, folder, s.fetch, progress, attempt.stop.is_set
            )
            cover = fetch_cover(job.track.image_url, s.cover_timeout_s)
            placed = place(fetched.file, job, s.downloads, s.path_template, cover)
        except Exception as exc:  # noqa: BLE001 - sorted in _failed; never ends the worker
            if isinstance(exc, Cancelled) or attempt.stop.is_set():
                # Stopped mid-download, whatever yt-dlp made of the interruption.
                self._stopped(attempt)
            else:
                self._failed(attempt, exc)
            return
        done = Done(
            path=placed.path,
            format=placed.format,
            bytes=placed.bytes,
            checksum=placed.checksum,
            duration_ms=int(fetched.match.duration_s * 1000) or job.track.duration_ms,
            source_url=fetched.source_url,
            match=fetched.match,
        )
        if self._queue.succeed(job, self.name, _now(), done):
            log.info("download succeeded", extra={"job": job.id, "bytes": placed.bytes})
        else:
            log.warning("download finished after its lease was lost", extra={"job": job.id})

    def _failed(self, attempt: Attempt, exc: Exception) -> None:
        job, s = attempt.job, self._settings
        if isinstance(exc, SourceBlocked):
            until = _now() + timedelta(seconds=s.blocked_pause_s)
            self._queue.pause(job.source, until, exc.reason)
            log.warning("download source paused", extra={"source": job.source, "why": exc.reason})
            self._end(attempt, JobStatus.QUEUED, exc, not_before=until)
        elif isinstance(exc, Permanent):
            self._end(attempt, JobStatus.FAILED, exc)
        elif isinstance(exc, Transient):
            self._retry(attempt, exc)
        else:
            log.exception("download failed unexpectedly", extra={"job": job.id})
            self._retry(attempt, Transient(f"internal error ({type(exc).__name__})"))

    def _stopped(self, attempt: Attempt) -> None:
        if attempt.lost:
            return
        if self._stopping.is_set():
            # Shutting down: back to the queue, to run again without waiting out a lease.
            self._queue.end(attempt.job, self.name, _now(), JobStatus.QUEUED, "")
        else:
            self._queue.end(attempt.job, self.name, _now(), JobStatus.CANCELLED, "cancelled")

    def _retry(self, attempt: Attempt, exc: Transient) -> None:
        job, s = attempt.job, self._settings
        if job.attempts >= s.max_attempts:
            failed = Transient(f"{exc.reason} (gave up after {job.attempts} attempts)")
            failed.match, failed.url = exc.match, exc.url
            self._end(attempt, JobStatus.FAILED, failed)
            return
        delay = s.retry_base_s * 2 ** (job.attempts - 1)
        self._end(attempt, JobStatus.QUEUED, exc, not_before=_now() + timedelta(seconds=delay))

    def _end(
        self,
        attempt: Attempt,
        status: JobStatus,
        exc: FetchError,
        *,
        not_before: datetime | None = None,
    ) -> None:
        log.info(
            "download attempt ended",
            extra={"job": attempt.job.id, "status": status.value, "why": exc.reason},
        )
        self._queue.end(
            attempt.job,
            self.name,
            _now(),
            status,
            exc.reason,
            not_before=not_before,
            match=exc.match,
            source_url=exc.url,
        )

    def _heartbeats(self) -> None:
        while not self._stopping.wait(self._settings.heartbeat_s):
            with self._lock:
                running = list(self._running.values())
            for attempt in running:
                try:
                    answer = self._queue.heartbeat(
                        attempt.job, self.name, _now(), self._settings.lease_s, attempt.progress
                    )
                except Exception:
                    log.exception("download heartbeat failed", extra={"job": attempt.job.id})
                    continue
                if answer is None:
                    attempt.lost = True
                    attempt.stop.set()
                elif answer:
                    attempt.stop.set()
