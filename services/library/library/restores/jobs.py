"""Restore jobs: started, run on a small pool of threads, watched, cancelled, and resumed
when the process starts again.

Exactly once: every batch written is recorded (the target's `done`, and a new playlist's id
as soon as it exists) before the next one goes; a write whose answer was lost is not sent
again blind: the job reads the playlist as Spotify has it and plans the rest from that
(library.restores.edits). A new playlist made but not recorded (a crash between the two) is
found again by the note its description carries.

Several replicas share one database. Each queued or running restore is its replica's, with a
lease its heartbeat extends (every third of the lease); every replica, at start and on each
beat, resumes the restores whose lease has passed (their replica died) or was let go (their
replica stopped), one replica taking each, and never one a live replica runs. A cancel asked
through any replica is a flag in the database its owner sees at its next batch or beat. Any
replica reads and watches any restore (from the database)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kit import errors
from kit.spotify.client import SpotifyClient, SpotifyRefused
from library.leases import Heartbeat
from library.reads import Reads
from library.restores.edits import PER_CALL, plan_edits
from library.restores.imports import Imports
from library.restores.liked import DATES_KEPT, save_dated
from library.restores.loading import load_save
from library.restores.model import (
    CANCELLED,
    CREATED,
    DONE,
    FAILED,
    LIKED,
    MODES,
    PARTIAL,
    PLAYLIST,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    TARGET_FAILED,
    Restore,
    Selection,
    Target,
)
from library.restores.plans import build_plan, library_adds
from library.restores.sources import Source, SourcePlaylist
from library.restores.spotify import LIBRARY_PER_WRITE, SpotifyAccount
from library.restores.store import CANCEL, LOST, RestoreStore

log = logging.getLogger(__name__)

ClientFor = Callable[[str], SpotifyClient]
# The scopes a user granted at their last login.
ScopesOf = Callable[[str], frozenset[str]]
# What writing needs: playlists (private ones, and public ones a replace may meet) and the
# library. Following artists has no 2026 endpoint, so its scope is asked for, not needed.
NEEDED_SCOPES = frozenset(
    ["playlist-modify-private", "playlist-modify-public", "user-library-modify"]
)
# Spotify's cap on a playlist description.
_DESCRIPTION_MAX = 300


class Stopping(Exception):
    """The process is stopping: the job stays running in the database, to resume."""


class Cancelled(Exception):
    pass


class Lost(Exception):
    """The restore is no longer this replica's (it ended, cancelled while queued, or another
    replica took it over after this one stalled past its lease): the run writes no more."""


def _now() -> datetime:
    return datetime.now(UTC)


def note(restore: Restore, target: Target, label: str) -> str:
    """What a new playlist's description ends with: where it came from, and which restore
    and target made it (how a resumed job finds a playlist it made but did not record)."""
    return f"Restored by Tapedeck from {label} [{restore.id}.{target.position}]"


def description(original: str, restore: Restore, target: Target, label: str) -> str:
    tail = note(restore, target, label)
    room = _DESCRIPTION_MAX - len(tail) - 3
    head = original[: max(room, 0)]
    return f"{head} · {tail}" if head else tail


class RestoreJobs:
    def __init__(
        self,
        store: RestoreStore,
        reads: Reads,
        imports: Imports,
        client_for: ClientFor,
        *,
        scopes_of: ScopesOf | None = None,
        extended_quota: bool = False,
        workers: int = 4,
        concurrency: int = 4,
        retry_for_s: float = 300.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
        replica_id: str = "",
        lease_s: float = 30.0,
        lease_clock: Callable[[], datetime] = _now,
    ) -> None:
        """`replica_id`: names this process as its restores' owner (default: a new random
        one). `lease_s`: how long a restore outlives its replica's last heartbeat before
        another replica resumes it."""
        self._store = store
        self.replica_id = replica_id or f"library-{uuid.uuid4().hex[:12]}"
        self._lease = timedelta(seconds=lease_s)
        self._lease_clock = lease_clock
        self._heartbeat: Heartbeat | None = None
        # Restores this process runs or has queued: their leases are renewed.
        self._live: set[str] = set()
        self._lost: set[str] = set()
        self._reads = reads
        self._imports = imports
        self._client_for = client_for
        self._scopes_of = scopes_of
        # The app may still use the older save that keeps Liked Songs' dates.
        self._extended_quota = extended_quota
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="restore")
        self._retry_for_s = retry_for_s
        self._concurrency = concurrency
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._cancelled: set[str] = set()
        self._sources: dict[str, Source] = {}

    # Asked by the servicer

    def start(
        self,
        user_id: str,
        source_save: str,
        source_import: str,
        selection: Selection,
        mode: str,
        dry_run: bool,
    ) -> Restore:
        if mode not in MODES:
            raise errors.InvalidArgument(f"mode must be one of {', '.join(MODES)}")
        if not (
            selection.all_playlists
            or selection.playlists
            or selection.liked
            or selection.albums
            or selection.artists
        ):
            raise errors.InvalidArgument(
                "nothing to restore: choose playlists, liked, albums or artists"
            )
        if source_save and source_import:
            raise errors.InvalidArgument("source: a save or an import, not both")
        if not dry_run and self._scopes_of is not None:
            missing = NEEDED_SCOPES - self._scopes_of(user_id)
            if missing:
                raise errors.PermissionDenied(
                    "restoring writes to Spotify: log in again to grant "
                    + ", ".join(sorted(missing)),
                    code="scope_required",
                )
        restore = Restore(
            id=uuid.uuid4().hex,
            user_id=user_id,
            status=QUEUED,
            dry_run=dry_run,
            mode=mode,
            source_save=source_save,
            source_import=source_import,
            selection=selection,
            created_at=_now(),
        )
        # Reading the source first: a save that is not the user's is refused before
        # anything is recorded or written.
        source = self._source(restore)
        restore.source_save = source.save_id
        if dry_run:
            account = SpotifyAccount(self._client_for(user_id))
            try:
                restore.plan, _ = self._plan(account, source, restore)
            finally:
                account.client.close()
            restore.status, restore.spotify_requests = SUCCEEDED, account.requests
            restore.started_at = restore.finished_at = _now()
            self._store.add(restore, [])
            return restore
        self._store.add(restore, [], self.replica_id, self._lease_clock() + self._lease)
        # The run takes the source read here; one resumed after a restart reads it again.
        with self._changed:
            self._sources[restore.id] = source
            self._live.add(restore.id)
        self._pool.submit(self._run, restore.id, user_id, False)
        return restore

    def _source(self, restore: Restore) -> Source:
        if restore.source_import:
            return self._imports.source(restore.user_id, restore.source_import, restore.selection)
        return load_save(self._reads, restore.user_id, restore.source_save, restore.selection)

    def get(self, user_id: str, restore_id: str) -> Restore:
        found = self._store.get(user_id, restore_id)
        if found is None:
            raise errors.NotFound("no such restore")
        return found

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Restore], int]:
        return self._store.page(user_id, offset, limit)

    def cancel(self, user_id: str, restore_id: str) -> None:
        restore = self.get(user_id, restore_id)
        if restore.ended:
            return
        # Through whichever replica: a queued restore ends at once, a running one's owner
        # sees the flag at its next batch or heartbeat (this replica's own: at once).
        self._store.request_cancel(user_id, restore_id, _now())
        with self._changed:
            if restore_id in self._live:
                self._cancelled.add(restore_id)
        self._publish()

    def watch(
        self, user_id: str, restore_id: str, is_active: Callable[[], bool]
    ) -> Iterator[Restore]:
        sent: Restore | None = None
        while True:
            restore = self.get(user_id, restore_id)
            if restore != sent:
                yield restore
                sent = restore
            if restore.ended or not is_active():
                return
            with self._changed:
                self._changed.wait(timeout=0.2)

    def recover(self) -> list[str]:
        """Resumes, on this replica, the restores left queued or running by a replica that
        died (their lease has passed) or stopped (it let them go); a restore another live
        replica runs is left alone."""
        if self._stopping.is_set():
            return []
        now = self._lease_clock()
        resumed = []
        for restore in self._store.take_expired(self.replica_id, now, now + self._lease):
            with self._changed:
                self._live.add(restore.id)
                self._lost.discard(restore.id)
            try:
                self._pool.submit(self._run, restore.id, restore.user_id, True)
            except RuntimeError:
                # Closing meanwhile: close lets go of the leases just taken.
                continue
            resumed.append(restore.id)
        if resumed:
            log.warning("restores resumed", extra={"restore_ids": resumed})
        return resumed

    def keep_leases(self) -> Heartbeat:
        """Starts the heartbeat: every third of the lease, extends the leases of the
        restores this process runs, notices cancels asked through other replicas, and
        resumes those whose replica died (recover). Stopped by close."""
        if self._heartbeat is None:
            self._heartbeat = Heartbeat(
                self._beat, self._lease.total_seconds() / 3, "restore-leases"
            )
            self._heartbeat.start()
        return self._heartbeat

    def _beat(self) -> None:
        self.renew_leases()
        self.recover()

    def renew_leases(self) -> None:
        """Extends the leases of the restores this process runs; one found taken by another
        replica (this one stalled past its lease) is dropped, one with a cancel asked is
        cancelled."""
        with self._changed:
            ids = set(self._live)
        if not ids:
            return
        held, cancel = self._store.renew(self.replica_id, ids, self._lease_clock() + self._lease)
        lost = ids - held
        if lost:
            log.error(
                "restore leases lost",
                extra={"restore_ids": sorted(lost), "replica": self.replica_id},
            )
        with self._changed:
            self._lost |= lost
            self._cancelled |= cancel
            self._changed.notify_all()

    def close(self, release: bool = True) -> None:
        """Running jobs stop after their current request and stay running in the database;
        their leases are let go, so the next replica to look (or this one started again)
        resumes them at once. `release=False`: as a process killed, the leases run out
        first."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._heartbeat is not None:
            # After the runs stopped: until then the restores are still this replica's.
            self._heartbeat.stop()
        if release:
            with self._changed:
                ids = set(self._live)
            self._store.release(self.replica_id, ids)

    # The run

    def _publish(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _plan(
        self, account: SpotifyAccount, source: Source, restore: Restore
    ) -> tuple[dict, list[Target]]:  # type: ignore[type-arg]
        s = restore.selection
        return build_plan(
            account,
            source,
            restore.mode,
            restore.user_id,
            s.liked,
            s.albums,
            s.artists,
            extended_quota=self._extended_quota,
        )

    def _run(self, restore_id: str, user_id: str, resumed: bool) -> None:
        try:
            self._run_held(restore_id, user_id, resumed)
        finally:
            with self._changed:
                self._live.discard(restore_id)
                self._lost.discard(restore_id)
                self._cancelled.discard(restore_id)

    def _written(self, result: str, restore_id: str) -> None:
        """What a write of the run found: a cancel asked through any replica, or the
        restore no longer this replica's; either stops the run at its next check."""
        if result in (CANCEL, LOST):
            with self._changed:
                (self._cancelled if result == CANCEL else self._lost).add(restore_id)

    def _run_held(self, restore_id: str, user_id: str, resumed: bool) -> None:
        with self._changed:
            read = self._sources.pop(restore_id, None)
        restore = self._store.get(user_id, restore_id)
        if restore is None or restore.ended:
            return
        if restore.cancel_requested:
            with self._changed:
                self._cancelled.add(restore_id)
        job = _Job(
            restore, SpotifyAccount(self._client_for(user_id)), restore.spotify_requests, resumed
        )
        try:
            job.source = read if read is not None else self._source(restore)
            job.targets = self._store.targets(restore_id)
            if not job.targets:
                restore.plan, job.targets = self._plan(job.account, job.source, restore)
                restore.total = sum(t.total for t in job.targets)
                restore.status, restore.started_at = RUNNING, _now()
                job.count()
                self._written(
                    self._store.add_targets(restore, job.targets, self.replica_id), restore_id
                )
            elif restore.status == QUEUED:
                restore.status, restore.started_at = RUNNING, _now()
                self._written(self._store.save(restore, self.replica_id), restore_id)
            self._check(restore)
            self._publish()
            pending = [t for t in job.targets if t.state not in (DONE, TARGET_FAILED)]
            # Playlists are written side by side (each one's batches in order, by one
            # thread); a target's own refusal fails it alone.
            with ThreadPoolExecutor(self._concurrency, thread_name_prefix="restore-target") as pool:
                for outcome in pool.map(lambda t: self._target(job, t), pending):
                    if outcome is not None:
                        raise outcome
            failed = sum(1 for t in job.targets if t.state == TARGET_FAILED)
            restore.status = (
                SUCCEEDED if not failed else PARTIAL if failed < len(job.targets) else FAILED
            )
        except Stopping:
            job.count()
            self._store.save(restore, self.replica_id)
            return
        except Lost:
            log.warning(
                "restore no longer this replica's",
                extra={"restore_id": restore_id, "replica": self.replica_id},
            )
            return
        except Cancelled:
            restore.status = CANCELLED
        except errors.TapedeckError as error:
            restore.status, restore.error_code, restore.error_message = (
                FAILED,
                error.code,
                error.message,
            )
        except Exception as error:
            log.exception("restore failed", extra={"restore_id": restore_id})
            restore.status, restore.error_code, restore.error_message = (
                FAILED,
                "internal",
                str(error),
            )
        finally:
            job.account.client.close()
        restore.finished_at = _now()
        job.count()
        self._store.save(restore, self.replica_id)
        self._publish()

    def _check(self, restore: Restore) -> None:
        if self._stopping.is_set():
            raise Stopping()
        with self._changed:
            if restore.id in self._lost:
                raise Lost()
            if restore.id in self._cancelled:
                raise Cancelled()

    def _with_retries(self, job: _Job, target: Target) -> None:
        """Writes a target; when Spotify fails (5xx, lost answers, kept failing), waits and
        writes it again, for up to retry_for_s: each try looks at Spotify first."""
        deadline = time.monotonic() + self._retry_for_s
        delay = self._backoff_s
        while True:
            self._check(job.restore)
            try:
                if target.kind == PLAYLIST:
                    self._write_playlist(job, target)
                else:
                    self._write_library(job, target)
                target.state = DONE
                self._record(job, target)
                return
            except errors.Unavailable as failed:
                if time.monotonic() + delay > deadline:
                    raise
                log.info(
                    "restore retry",
                    extra={"restore_id": job.restore.id, "error": str(failed), "in_s": delay},
                )
                if self._stopping.wait(delay):
                    raise Stopping() from None
                delay = min(delay * 2, self._max_backoff_s)

    def _target(self, job: _Job, target: Target) -> BaseException | None:
        """Writes one target; a refusal fails it alone; Stopping, Cancelled or an error that
        ends the restore is handed back, for the run to raise."""
        try:
            self._with_retries(job, target)
        except SpotifyRefused as refused:
            log.warning(
                "restore target refused",
                extra={
                    "restore_id": job.restore.id,
                    "target": target.source_id,
                    "status": refused.status,
                },
            )
            target.state = TARGET_FAILED
            with job.lock:
                job.restore.error_code = (
                    "scope_required" if refused.status == 403 else "spotify_refused"
                )
                job.restore.error_message = refused.message
            self._record(job, target)
        except BaseException as error:  # noqa: BLE001 - handed to the run, which raises it
            return error
        return None

    def _record(self, job: _Job, target: Target) -> None:
        """One batch's progress, recorded before the next batch goes (one at a time, so an
        older count never lands after a newer one)."""
        with job.lock:
            job.count()
            result = self._store.save_target(job.restore.id, target, job.restore, self.replica_id)
        self._written(result, job.restore.id)
        self._publish()

    def _write_playlist(self, job: _Job, target: Target) -> None:
        account, restore = job.account, job.restore
        playlist = job.playlists[target.source_id]
        label = job.label
        if not target.target_id:
            # A create whose answer was lost (this run, or before a restart) may have made
            # the playlist: look for its note first.
            made = None
            if job.resumed or target.position in job.created:
                made = self._made_before(account, restore, target, label)
            job.created.add(target.position)
            target.target_id = made or account.create_playlist(
                playlist.name, description(playlist.description, restore, target, label)
            )
            target.state = CREATED
            self._record(job, target)
            current: list[str | None] = (
                [] if made is None else account.playlist_uris(target.target_id)
            )
        else:
            current = account.playlist_uris(target.target_id)
        edits = plan_edits(current, playlist.uris)
        gone = set(edits.remove)
        # What is left to write, counted anew from what Spotify holds.
        target.total = target.done + sum(1 for u in current if u in gone) + edits.added
        remove = list(edits.remove)
        for start in range(0, len(remove), PER_CALL):
            self._check(restore)
            chunk = set(remove[start : start + PER_CALL])
            account.remove(target.target_id, sorted(chunk))
            target.done += sum(1 for u in current if u in chunk)
            self._record(job, target)
        for insert in edits.inserts:
            self._check(restore)
            account.add(target.target_id, insert.position, list(insert.uris))
            target.done += len(insert.uris)
            self._record(job, target)

    @staticmethod
    def _made_before(
        account: SpotifyAccount, restore: Restore, target: Target, label: str
    ) -> str | None:
        tail = note(restore, target, label)
        for found in account.my_playlists():
            if str(found.get("description") or "").endswith(tail):
                return str(found["id"])
        return None

    def _write_library(self, job: _Job, target: Target) -> None:
        account, source = job.account, job.source
        kind = "tracks" if target.kind == LIKED else "albums"
        wanted = source.liked if target.kind == LIKED else source.albums
        adds = library_adds(wanted, account.saved(kind))
        target.total = target.done + len(adds)
        if target.kind == LIKED:
            adds = self._save_liked_dated(job, target, adds)
        for start in range(0, len(adds), LIBRARY_PER_WRITE):
            self._check(job.restore)
            chunk = adds[start : start + LIBRARY_PER_WRITE]
            account.save_to_library(chunk)
            target.done += len(chunk)
            self._record(job, target)

    def _save_liked_dated(self, job: _Job, target: Target, adds: list[str]) -> list[str]:
        """Liked Songs at their original dates, when the plan says they keep them
        (library.restores.liked); answers what is left for PUT /me/library: nothing, or,
        should Spotify refuse the older endpoint, the rest, the plan then saying so."""
        step = job.restore.plan.get("liked") or {}
        if not step.get(DATES_KEPT):
            return adds

        def wrote(n: int) -> None:
            target.done += n
            self._record(job, target)

        left = save_dated(
            job.account,
            adds,
            job.source.liked_added_at,
            lambda: self._check(job.restore),
            wrote,
        )
        if left:
            log.warning(
                "spotify refused the dated save: liked songs go on without their dates",
                extra={"restore_id": job.restore.id, "left": len(left)},
            )
            with job.lock:
                step[DATES_KEPT] = False
            self._record(job, target)
        return left


@dataclass
class _Job:
    """A restore this process runs, with what its run needs."""

    restore: Restore
    account: SpotifyAccount
    # Spotify requests the restore made before this run (an earlier process's).
    base_requests: int
    resumed: bool
    source: Source = field(default_factory=Source)
    targets: list[Target] = field(default_factory=list)
    # Targets this run has tried to create a playlist for.
    created: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def playlists(self) -> dict[str, SourcePlaylist]:
        return {p.id: p for p in self.source.playlists}

    @property
    def label(self) -> str:
        return f"the save {self.source.save_id}" if self.source.save_id else "an import"

    def count(self) -> None:
        """The restore's totals from its targets' and the account's."""
        self.restore.spotify_requests = self.base_requests + self.account.requests
        if self.targets:
            self.restore.done = sum(t.done for t in self.targets)
            self.restore.total = sum(t.total for t in self.targets)
