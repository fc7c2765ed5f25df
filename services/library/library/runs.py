"""Starting saves and running them: the fan-out to each chosen kind's entity service (one
thread per kind), progress kept live in memory and persisted at a bounded rate, watching a
save as it changes, and the feed of every save's changes.

Several replicas may share one database. Each save is its replica's, with a lease in the
saves table that the replica's heartbeat extends; every replica ends as interrupted the saves
whose lease has passed (their replica died), at start and on every heartbeat, and never a
save whose replica is alive. Any replica reads and watches any save (from the database when
another replica runs it)."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kit import errors
from library.entities import Entities, Progress, SyncOrder
from library.kinds import chosen_kinds
from library.leases import Heartbeat
from library.ledger import Batch, Ledger
from library.repository import SaveRepository
from library.saves import (
    INTERRUPTED,
    Save,
    finished,
    interrupted,
    is_save_id,
    kind_completed,
    kind_failed,
    kind_progressed,
    new_save,
    started,
)
from library.shares import Shares

log = logging.getLogger(__name__)


class SaveRunning(errors.Conflict):
    """The user already has a queued or running save: `running` is that save."""

    def __init__(self, running: Save) -> None:
        super().__init__("a save is already running for this user")
        self.running = running


class SaveFeed:
    """Every change of the saves this process runs, from its creation until closed: the
    latest state of each save changed since the last batch was taken (a save changing faster
    than it is read reaches it as its newest state, the final one always). Made by
    SaveRuns.feed; `changed` and `feeds` are the runs' own."""

    def __init__(
        self, changed: threading.Condition, feeds: list[SaveFeed], interval_s: float
    ) -> None:
        self._changed = changed
        self._feeds = feeds
        self._interval_s = interval_s
        self.pending: dict[str, Save] = {}
        # Set by close(), and by the runs as the process stops (the pending states still go).
        self.closed = False

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self.pending.clear()
            if self in self._feeds:
                self._feeds.remove(self)
            self._changed.notify_all()

    def __iter__(self) -> Iterator[list[Save]]:
        """Batches of changed saves, until closed (or the process stops and has told the
        saves' final states)."""
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: bool(self.pending) or self.closed)
                    if not self.pending:
                        return
                    batch = list(self.pending.values())
                    self.pending.clear()
                yield batch
                # Bursts of progress reach the feed as one message per save and interval.
                time.sleep(self._interval_s)
        finally:
            self.close()


class SaveEvents(Protocol):
    """What is told of the saves this process runs (its metrics)."""

    def queued(self, save: Save) -> None: ...

    def started(self, save: Save) -> None:
        """The save began fetching."""
        ...

    def ended(self, save: Save) -> None:
        """The save ended, in its final state (whether or not it had started)."""
        ...


class _NoEvents:
    def queued(self, save: Save) -> None:
        pass

    def started(self, save: Save) -> None:
        pass

    def ended(self, save: Save) -> None:
        pass


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class _Live:
    """A save this process is running: its state, fresher than the database's."""

    save: Save
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Orders writes, so an older snapshot never lands after a newer one.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    last_write: float = float("-inf")

    def snapshot(self) -> Save:
        with self.lock:
            return self.save


class SaveRuns:
    def __init__(
        self,
        repo: SaveRepository,
        entities: Entities,
        *,
        clock: Callable[[], datetime] = _utc_now,
        new_id: Callable[[], str] = _new_id,
        write_interval_s: float = 0.25,
        watch_interval_s: float = 0.1,
        poll_interval_s: float = 1.0,
        max_running_saves: int = 16,
        spotify_concurrency: int = 8,
        events: SaveEvents | None = None,
        full_save_cooldown_s: float = 0.0,
        ledger: Ledger | None = None,
        after_end: Callable[[Save], object] | None = None,
        replica_id: str = "",
        lease_s: float = 30.0,
        lease_clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`spotify_concurrency`: a user's Spotify requests in flight, in all, shared among
        the kinds of a save. `events`: told as saves start and end. `full_save_cooldown_s`:
        the least time between the starts of two full saves of one user (0: none).
        `ledger`: records each completed kind's changes with its completion (none: no
        events are recorded). `replica_id`: names this process as its saves' owner (default:
        a new random one). `lease_s`: how long a save outlives its replica's last heartbeat
        before another replica ends it. `lease_clock`: the real time leases are reckoned in
        (`clock` may be a test's simulated one)."""
        self._repo = repo
        self.replica_id = replica_id or f"library-{uuid.uuid4().hex[:12]}"
        self._lease = timedelta(seconds=lease_s)
        self._lease_clock = lease_clock
        self._heartbeat: Heartbeat | None = None
        self._ledger = ledger
        # Told each save this process ran once it is stored ended, before anyone sees it
        # ended (pruning).
        self._after_end = after_end
        self._events: SaveEvents = events or _NoEvents()
        self._spotify_concurrency = spotify_concurrency
        self._entities = entities
        self._clock = clock
        self._new_id = new_id
        self._write_interval_s = write_interval_s
        self._watch_interval_s = watch_interval_s
        self._poll_interval_s = poll_interval_s
        self._full_save_cooldown_s = full_save_cooldown_s
        self._saves = ThreadPoolExecutor(max_running_saves, thread_name_prefix="save")
        # One thread per kind of every running save: a slow kind never holds up another.
        self._syncs = ThreadPoolExecutor(max_running_saves * 4, thread_name_prefix="sync")
        self._live: dict[str, _Live] = {}
        self._changed = threading.Condition()
        self._revision = 0
        self._stopping = threading.Event()
        self._feeds: list[SaveFeed] = []
        self._closed = False

    def recover(self) -> list[str]:
        """Ends, as interrupted, the queued or running saves whose replica died (their lease
        has passed, or they never had one): they will never end otherwise. The kinds they
        completed stay readable (partial). A save another live replica runs is left alone."""
        now = self._lease_clock()
        ids = []
        statuses = []
        for save in self._repo.take_expired(self.replica_id, now, now + self._lease):
            ended = interrupted(save, self._clock())
            self._repo.put(ended)
            ids.append(save.id)
            statuses.append(ended.status)
        if ids:
            log.warning("interrupted saves ended", extra={"save_ids": ids, "statuses": statuses})
        return ids

    def keep_leases(self) -> Heartbeat:
        """Starts the heartbeat: every third of the lease, extends the leases of the saves
        this process runs and ends those whose replica died (recover). Stopped by close."""
        if self._heartbeat is None:
            self._heartbeat = Heartbeat(self._beat, self._lease.total_seconds() / 3, "save-leases")
            self._heartbeat.start()
        return self._heartbeat

    def _beat(self) -> None:
        self.renew_leases()
        self.recover()

    def renew_leases(self) -> None:
        """Extends the leases of the saves this process runs."""
        with self._changed:
            ids = set(self._live)
        if not ids:
            return
        held = self._repo.renew(self.replica_id, ids, self._lease_clock() + self._lease)
        lost = sorted(ids - held)
        if lost:
            # This process stalled past its lease and another replica ended these saves:
            # they are no longer this process's. Reads go to the database, and what their
            # runs still write is refused there (an ended save is final).
            log.error("save leases lost", extra={"save_ids": lost, "replica": self.replica_id})
            with self._changed:
                for save_id in lost:
                    self._live.pop(save_id, None)
                self._revision += 1
                self._changed.notify_all()

    def start(self, user_id: str, kinds: Iterable[str], full: bool) -> Save:
        errors.required(user_id, "user_id")
        chosen = chosen_kinds(kinds)
        if self._stopping.is_set():
            raise errors.Unavailable("the library service is stopping")
        if full:
            self._check_full_save_cooldown(user_id)
        save = new_save(self._new_id(), user_id, chosen, full, self._clock())
        running = self._repo.add(save, self.replica_id, self._lease_clock() + self._lease)
        if running is not None:
            raise SaveRunning(self._fresh(running))
        live = _Live(save)
        with self._changed:
            self._live[save.id] = live
            self._publish(save)
        self._events.queued(save)
        self._saves.submit(self._run, live)
        log.info("save queued", extra={"save_id": save.id, "kinds": list(chosen), "full": full})
        return save

    def get(self, user_id: str, save_id: str) -> Save:
        if not is_save_id(save_id):
            raise errors.NotFound("no such save")
        with self._changed:
            live = self._live.get(save_id)
        save = live.snapshot() if live is not None else self._repo.get(user_id, save_id)
        if save is None or save.user_id != user_id:
            raise errors.NotFound("no such save")
        return save

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Save], int]:
        saves, total = self._repo.page(user_id, offset, limit)
        return [self._fresh(save) for save in saves], total

    def watch(self, user_id: str, save_id: str, is_active: Callable[[], bool]) -> Iterator[Save]:
        """The save now and on every change, until it has ended (the last one is its final
        state) or the watcher has gone."""
        sent: Save | None = None
        while True:
            with self._changed:
                revision = self._revision
            save = self.get(user_id, save_id)
            if save != sent:
                yield save
                sent = save
            if save.ended or not is_active():
                return
            # Bursts of progress reach a watcher as one message per interval.
            time.sleep(self._watch_interval_s)
            with self._changed:
                # Saves another process runs change only in the database: poll for those.
                self._changed.wait_for(
                    lambda seen=revision: self._revision != seen,  # type: ignore[misc]
                    timeout=self._poll_interval_s,
                )

    def feed(self) -> SaveFeed:
        """A feed of every change from now on (close it when done)."""
        feed = SaveFeed(self._changed, self._feeds, self._watch_interval_s)
        with self._changed:
            if self._closed:
                feed.closed = True
            else:
                self._feeds.append(feed)
        return feed

    def close(self) -> None:
        """Stops every running save and waits for them: each ends interrupted, keeping the
        kinds it completed (partial), failed when it completed none. The feeds tell those
        final states, then end."""
        self._stopping.set()
        self._entities.cancel_syncs()
        self._saves.shutdown(wait=True)
        self._syncs.shutdown(wait=True)
        if self._heartbeat is not None:
            # After the saves ended: until then they are still this replica's.
            self._heartbeat.stop()
        with self._changed:
            self._closed = True
            for feed in self._feeds:
                feed.closed = True
            self._changed.notify_all()

    def _check_full_save_cooldown(self, user_id: str) -> None:
        """Refuses a full save started sooner than the cooldown after the user's last one.
        Read from the saves table, so it holds whichever replica started that one; a save
        still active is left to `add`, which answers with it."""
        if self._full_save_cooldown_s <= 0:
            return
        since = self._clock() - timedelta(seconds=self._full_save_cooldown_s)
        offset = 0
        while True:
            # Newest first: only the saves within the cooldown are read.
            saves, _ = self._repo.page(user_id, offset, 50)
            for save in saves:
                if not save.ended or save.created_at <= since:
                    return
                if save.full:
                    left = (save.created_at - since).total_seconds()
                    raise errors.RateLimited(
                        "a full save was started too recently; try again later",
                        retry_after_s=max(1, math.ceil(left)),
                    )
            if len(saves) < 50:
                return
            offset += len(saves)

    def _fresh(self, save: Save) -> Save:
        with self._changed:
            live = self._live.get(save.id)
        return live.snapshot() if live is not None else save

    def _run(self, live: _Live) -> None:
        try:
            if not self._stopping.is_set():
                self._fan_out(live)
        except Exception:  # a background thread: log, then end the save
            log.exception("save run failed", extra={"save_id": live.save.id})
        try:
            end = interrupted if self._stopping.is_set() else finished

            def ending(s: Save) -> Save:
                ended = end(s, self._clock())
                # Told before anyone can see the save ended, so its metrics agree by then.
                self._events.ended(ended)
                return ended

            self._change(live, ending, force=True, stored=self._ended_stored)
            save = live.snapshot()
            log.info(
                "save ended",
                extra={
                    "save_id": save.id,
                    "status": save.status,
                    "spotify_requests": save.spotify_requests,
                },
            )
        finally:
            with self._changed:
                self._live.pop(live.save.id, None)
                self._revision += 1
                self._changed.notify_all()

    def _ended_stored(self, save: Save) -> None:
        """The save is stored ended, and not yet seen so: pruning now means whoever sees it
        ended sees its user's saves pruned too."""
        if self._after_end is None:
            return
        try:
            self._after_end(save)
        except Exception:  # the save has ended whatever this does
            log.exception("after the save's end", extra={"save_id": save.id})

    def _fan_out(self, live: _Live) -> None:
        self._change(live, lambda s: started(s, self._clock()), force=True)
        save = live.snapshot()
        self._events.started(save)
        shares = Shares(self._spotify_concurrency, save.kinds)
        orders = []
        for kind in save.kinds:
            base = self._repo.latest_completing(save.user_id, kind)
            version = base.run(kind).version if base is not None else ""
            order = SyncOrder(
                save.user_id,
                save.id,
                save.full,
                version,
                shares.of(kind),
                base_save_id=base.id if base is not None else "",
            )
            orders.append((kind, order))
        wait([self._syncs.submit(self._sync, live, kind, order, shares) for kind, order in orders])

    def _sync(self, live: _Live, kind: str, order: SyncOrder, shares: Shares) -> None:
        try:
            self._sync_kind(live, kind, order)
        finally:
            self._hand_on(kind, order, shares)

    def _hand_on(self, kind: str, order: SyncOrder, shares: Shares) -> None:
        """The ended kind's share of the user's bound goes to the kinds still running, one
        hand-on at a time, so each kind hears of its shares in the order they grew."""
        with shares.handing_on:
            for other, concurrency in shares.release(kind).items():
                try:
                    self._entities.set_concurrency(other, order.user_id, order.save_id, concurrency)
                except errors.TapedeckError as exc:
                    # Ended meanwhile (its own share is handed on in turn) or down: either
                    # way the save goes on.
                    log.debug("share not handed on", extra={"kind": other, "code": exc.code})

    def _sync_kind(self, live: _Live, kind: str, order: SyncOrder) -> None:
        def progressed(p: Progress) -> None:
            self._change(
                live,
                lambda s: s.with_run(kind_progressed(s.run(kind), p)),
                force=False,
            )

        try:
            outcome = self._entities.sync(kind, order, progressed)
        except errors.TapedeckError as exc:
            code = exc.code
            message = (
                f"the {kind} service is unavailable"
                if isinstance(exc, errors.Unavailable)
                else exc.message
            )
            if self._stopping.is_set():
                # Its sync was cancelled because this process stops: not the kind's fault.
                code, message = INTERRUPTED, "the library service stopped during the save"
            self._change(
                live, lambda s: s.with_run(kind_failed(s.run(kind), code, message)), force=True
            )
            log.warning(
                "sync failed: %s %s",
                kind,
                exc.message,
                extra={
                    "save_id": order.save_id,
                    "kind": kind,
                    "code": exc.code,
                    "detail": exc.message,
                },
            )
            return
        except Exception:  # one kind's bug must not take the save down
            log.exception("sync failed", extra={"save_id": order.save_id, "kind": kind})
            self._change(
                live,
                lambda s: s.with_run(kind_failed(s.run(kind), "internal", "internal error")),
                force=True,
            )
            return
        try:
            began = time.monotonic()
            batch = self._ledger_batch(kind, order, outcome.version)
            self._change(
                live,
                lambda s: s.with_run(kind_completed(s.run(kind), outcome)),
                force=True,
                ledger=batch,
            )
            if batch is not None:
                # What the ledger adds to the kind's save (bench/history.py reads it).
                log.info(
                    "changes recorded",
                    extra={
                        "save_id": order.save_id,
                        "kind": kind,
                        "events": len(batch.changes),
                        "seconds": round(time.monotonic() - began, 4),
                    },
                )
        except errors.TapedeckError as exc:  # the kind completes with its events, or not at all
            self._not_recorded(live, kind, order, exc.code)
        except Exception:
            log.exception("changes not recorded", extra={"save_id": order.save_id, "kind": kind})
            self._not_recorded(live, kind, order, "internal")

    def _not_recorded(self, live: _Live, kind: str, order: SyncOrder, code: str) -> None:
        log.warning(
            "changes not recorded", extra={"save_id": order.save_id, "kind": kind, "code": code}
        )
        self._change(
            live,
            lambda s: s.with_run(
                kind_failed(s.run(kind), code, "the save's changes could not be recorded")
            ),
            force=True,
        )

    def _ledger_batch(self, kind: str, order: SyncOrder, version: str) -> Batch | None:
        """The kind's events against its base (library.ledger), from stored versions."""
        if self._ledger is None:
            return None
        base = (order.base_save_id, order.base_version)
        return self._ledger.batch(kind, order.user_id, order.save_id, base, version, self._clock())

    def _change(
        self,
        live: _Live,
        change: Callable[[Save], Save],
        *,
        force: bool,
        ledger: Batch | None = None,
        stored: Callable[[Save], None] | None = None,
    ) -> None:
        """Applies `change` to the live save. A forced change (a state change) is in the
        database before anyone sees it, so a save reported ended is readable at once;
        progress reaches the database at most once per interval. With `ledger`, the change
        is written with those events in one transaction, or raises and is not applied."""
        if force and ledger is not None and self._ledger is not None:
            with live.write_lock:
                with live.lock:
                    changed = change(live.save)
                # Outside live.lock: a first save's events take seconds to write, and whoever
                # reads the save meanwhile must not wait for them. Only progress can change
                # it meanwhile (forced changes wait for write_lock): `change` is applied again
                # to what it has become.
                self._ledger.complete(changed, ledger)
                if stored is not None:
                    stored(changed)
                with live.lock:
                    live.save = change(live.save)
                    live.last_write = time.monotonic()
        elif force:
            with live.write_lock:
                with live.lock:
                    changed = change(live.save)
                    self._put(changed)
                    if stored is None:
                        live.save = changed
                        live.last_write = time.monotonic()
                if stored is not None:
                    # Outside live.lock: whoever reads the save meanwhile does not wait (it
                    # has ended: nothing but this change touches it now).
                    stored(changed)
                    with live.lock:
                        live.save = changed
                        live.last_write = time.monotonic()
        else:
            with live.lock:
                live.save = change(live.save)
            if time.monotonic() - live.last_write >= self._write_interval_s:
                with live.write_lock:
                    live.last_write = time.monotonic()
                    self._put(live.snapshot())
        with self._changed:
            self._revision += 1
            if self._feeds:
                # The newest state, whichever change came last: feeds never go back in time.
                self._publish(live.snapshot())
            self._changed.notify_all()

    def _publish(self, save: Save) -> None:
        """To every feed (the caller holds `_changed`)."""
        for feed in self._feeds:
            feed.pending[save.id] = save
        self._changed.notify_all()

    def _put(self, save: Save) -> None:
        try:
            self._repo.put(save)
        except Exception:  # the next write (or recovery at start) catches up
            log.exception("could not persist the save", extra={"save_id": save.id})
