"""The save event streams open now, all fed by one WatchSaves call to the library service:
an open stream costs the library nothing of its own (that call holds one of its threads,
whatever the number of streams). The call is opened with the first stream and reopened
after a break; each save watched is then read again with GetSave, so no change is missed
(a save that ended meanwhile gets its `done`). Should the library not answer again at once,
the open streams end with an error event, as they do when the gateway begins to shut down.

Also a hook for whoever must know when a save changes status (on_save_changed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import grpc
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit import errors
from kit.status import error_from_rpc

log = logging.getLogger(__name__)

ENDED = frozenset(
    {
        library_pb2.SAVE_STATUS_SUCCEEDED,
        library_pb2.SAVE_STATUS_PARTIAL,
        library_pb2.SAVE_STATUS_FAILED,
    }
)

# The call is reopened when its deadline passes (and a watched save read again): every call
# has one, and an hour's reopening costs nothing.
FEED_TIMEOUT_S = 3600.0
# How long a new call may take to say it is subscribed.
SUBSCRIBE_TIMEOUT_S = 10.0
# Backoff between attempts to reopen the call while the library does not answer.
RECONNECT_MIN_S = 0.1
RECONNECT_MAX_S = 5.0
# A save watched but not heard of for this long is read again with GetSave: a save another
# library replica runs is not on this replica's feed.
QUIET_POLL_S = 2.0
# Saves read again at once, after a reconnect or in a poll.
REREAD_CONCURRENCY = 8
# Retry-After of a stream beyond the cap: a slot frees when one of the person's streams ends.
STREAMS_RETRY_AFTER_S = 5

SaveChanged = Callable[[str, library_pb2.Save], None]


class Watch:
    """One event stream's view of its save: the newest state known, and why the stream must
    end early, if it must."""

    def __init__(self, user_id: str, save_id: str) -> None:
        self.user_id = user_id
        self.save_id = save_id
        self.save: library_pb2.Save | None = None
        self.heard_at = 0.0
        # Set when the stream must end before the save has: an error event ends it.
        self.failure: errors.TapedeckError | None = None
        self._changed = asyncio.Event()

    @property
    def ended(self) -> bool:
        return self.save is not None and self.save.status in ENDED

    def update(self, save: library_pb2.Save) -> None:
        self.heard_at = asyncio.get_running_loop().time()
        # An ended save is final: a state read or sent earlier never replaces it.
        if self.ended or save == self.save:
            return
        self.save = save
        self._changed.set()

    def fail(self, error: errors.TapedeckError) -> None:
        if self.failure is None:
            self.failure = error
            self._changed.set()

    async def changed(self, timeout: float) -> bool:
        """Whether something changed within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class OpenStreams:
    def __init__(self) -> None:
        self.stopping = False
        self._by_save: dict[str, set[Watch]] = {}
        self._by_user: dict[str, set[Watch]] = {}
        self._callbacks: list[SaveChanged] = []
        self._feed_listeners: list[Callable[[bool], None]] = []
        # The status last heard of each save seen active: a change of it is told to the hook.
        self._statuses: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._call: Any = None

    # What the routes and the hook's users call.

    def on_save_changed(self, callback: SaveChanged) -> None:
        """`callback(user_id, save)` on the event loop whenever a save of any user is seen
        with another status than before (queued, running, then its end), once the feed is
        open (start()). Saves that change while the feed is down are told only if watched."""
        self._callbacks.append(callback)

    def on_feed(self, callback: Callable[[bool], None]) -> None:
        """`callback(True)` once a feed call is subscribed (every later change will be told),
        `callback(False)` when it breaks (changes may be missed until the next True)."""
        self._feed_listeners.append(callback)

    def start(self, library: library_pb2_grpc.LibraryServiceStub) -> None:
        """Opens the feed, unless it is open (from the event loop that serves requests)."""
        if self._tasks or self.stopping:
            return
        self._tasks = [
            asyncio.create_task(self._feed(library), name="save feed"),
            asyncio.create_task(self._poll_quiet(library), name="save feed poll"),
        ]

    def open(self, user_id: str, save_id: str, per_user: int) -> Watch:
        """A watch of the save, counted among the person's streams (RateLimited beyond
        `per_user`). Opened before the save is first read, so no change falls between."""
        if self.stopping:
            raise errors.Unavailable("the gateway is shutting down")
        mine = self._by_user.setdefault(user_id, set())
        if len(mine) >= per_user:
            raise errors.RateLimited(
                f"at most {per_user} save event streams may be open at once",
                retry_after_s=STREAMS_RETRY_AFTER_S,
            )
        watch = Watch(user_id, save_id)
        mine.add(watch)
        self._by_save.setdefault(save_id, set()).add(watch)
        return watch

    def close(self, watch: Watch) -> None:
        for index, key in ((self._by_user, watch.user_id), (self._by_save, watch.save_id)):
            watches = index.get(key)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del index[key]

    def stop(self) -> None:
        """The gateway begins to shut down: every stream ends at once with its error event,
        and the feed closes."""
        self.stopping = True
        stopping = errors.Unavailable("the gateway is shutting down")
        for watches in self._by_save.values():
            for watch in watches:
                watch.fail(stopping)
        if self._call is not None:
            self._call.cancel()
        for task in self._tasks:
            task.cancel()

    # The feed.

    async def _feed(self, library: library_pb2_grpc.LibraryServiceStub) -> None:
        backoff = RECONNECT_MIN_S
        while not self.stopping:
            try:
                subscribed = await self._follow(library)
            except grpc.aio.UsageError:
                return  # the channel is closed: the gateway is stopping
            if self.stopping:
                return
            if subscribed:
                # It was open: reopen at once, unnoticed by the streams if the library answers.
                backoff = RECONNECT_MIN_S
                continue
            self._fail_all(errors.Unavailable("the library service is unavailable"))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_S)

    async def _follow(self, library: library_pb2_grpc.LibraryServiceStub) -> bool:
        """One WatchSaves call, until it breaks; whether it got as far as subscribed."""
        call = library.WatchSaves(library_pb2.WatchSavesRequest(), timeout=FEED_TIMEOUT_S)
        self._call = call
        subscribed = False
        try:
            try:
                first = await asyncio.wait_for(call.read(), SUBSCRIBE_TIMEOUT_S)
            except TimeoutError:
                log.info("save feed not subscribed in time")
                return False
            if first is grpc.aio.EOF:  # type: ignore[attr-defined]
                return False
            subscribed = True
            self._statuses.clear()
            self._tell_feed(True)
            await self._reread(library, list(self._by_save))
            while True:
                message = await call.read()
                if message is grpc.aio.EOF:  # type: ignore[attr-defined]
                    return True
                self._tell(message.user_id, message.save)
        except grpc.RpcError as exc:
            if not self.stopping:
                log.info(
                    "save feed broken",
                    extra={"code": error_from_rpc(exc).code, "subscribed": subscribed},
                )
            return subscribed
        finally:
            self._call = None
            call.cancel()
            if subscribed:
                self._tell_feed(False)

    def _tell_feed(self, up: bool) -> None:
        for listener in self._feed_listeners:
            try:
                listener(up)
            except Exception:  # one listener's bug must not stop the feed
                log.exception("save feed listener failed")

    def _tell(self, user_id: str, save: library_pb2.Save) -> None:
        for watch in list(self._by_save.get(save.id, ())):
            watch.update(save)
        if save.status != self._statuses.get(save.id):
            if save.status in ENDED:
                self._statuses.pop(save.id, None)
            else:
                self._statuses[save.id] = save.status
            for callback in self._callbacks:
                try:
                    callback(user_id, save)
                except Exception:  # one listener's bug must not stop the feed
                    log.exception("save change listener failed")

    def _fail_all(self, error: errors.TapedeckError) -> None:
        for watches in self._by_save.values():
            for watch in watches:
                if not watch.ended:
                    watch.fail(error)

    async def _reread(self, library: library_pb2_grpc.LibraryServiceStub, ids: list[str]) -> None:
        """Reads these watched saves again (after a reconnect, or when quiet)."""
        bound = asyncio.Semaphore(REREAD_CONCURRENCY)

        async def one(save_id: str) -> None:
            watches = self._by_save.get(save_id)
            if not watches:
                return
            user_id = next(iter(watches)).user_id
            async with bound:
                try:
                    answer = await library.GetSave(
                        library_pb2.GetSaveRequest(user_id=user_id, save_id=save_id)
                    )
                except grpc.RpcError as exc:
                    # The feed, or the next poll, tells it later; a stream meanwhile waits.
                    log.debug("save not read again", extra={"code": error_from_rpc(exc).code})
                    return
            self._tell(user_id, answer.save)

        await asyncio.gather(*(one(save_id) for save_id in ids))

    async def _poll_quiet(self, library: library_pb2_grpc.LibraryServiceStub) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopping:
            await asyncio.sleep(QUIET_POLL_S)
            quiet_since = loop.time() - QUIET_POLL_S
            quiet = [
                save_id
                for save_id, watches in self._by_save.items()
                if any(
                    not w.ended and w.save is not None and w.heard_at <= quiet_since
                    for w in watches
                )
            ]
            if quiet:
                with contextlib.suppress(Exception):
                    await self._reread(library, quiet)
