"""The gateway's read cache (docs/design.md "The read cache"), in this process's memory:

- pages of saves, by their ETag (gateway.etags: user, save, route, query), in an LRU bounded
  by bytes. A save's pages never change, so an entry is never stale, only evicted;
- which save each user's reads of a kind resolve to (the newest save that completed it), so
  a hot page is answered with no call to the library. That answer does change, when a save
  of the user ends: it is kept only while the library's save stream is up (`stream_up`),
  dropped for a user when any save of theirs changes (`save_changed`) and for everyone when
  the stream breaks (`stream_down`), and never stored from a read that began before one of
  those (`snapshot`). While the stream says a save of the user is under way it is not used
  at all: the save's end reaches the stream a moment after the library has recorded it, and
  a client polling the save may see it ended first. So a read after a save's end, streamed
  or polled, sees the new save.

Imports no gRPC: the broadcaster that follows the stream calls the three hooks.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

# Pages larger than this are not kept (a page is at most 100 items).
MAX_PAGE_BYTES = 4 * 1024 * 1024
# The pages kept in all, in bytes of their bodies.
MAX_BYTES = 64 * 1024 * 1024
# Ended saves remembered as told, so a client's poll of one does not drop entries again.
MAX_ENDED = 4096


@dataclass(frozen=True)
class Snapshot:
    """What had happened when a read began: compared when its answer is to be remembered."""

    epoch: int
    generation: int


class LatestSaves:
    """Which save each user's reads of a kind resolve to, while the save stream is up."""

    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], str] = {}
        self._by_user: dict[str, set[str]] = {}
        # Bumped for a user when their saves change, and for all when the stream goes up or
        # down: a read that began before is not remembered.
        self._generations: dict[str, int] = {}
        # Users with a save queued or running, by the stream: their saves' ids.
        self._under_way: dict[str, set[str]] = {}
        # Saves whose end the cache has heard of, newest last (bounded).
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._epoch = 0
        self._live = False

    def get(self, user_id: str, kind: str) -> str | None:
        """The save the user's reads of `kind` resolve to, if known for sure."""
        if not self._live or user_id in self._under_way:
            return None
        return self._latest.get((user_id, kind))

    def snapshot(self, user_id: str) -> Snapshot:
        return Snapshot(self._epoch, self._generations.get(user_id, 0))

    def remember(self, user_id: str, kind: str, save_id: str, before: Snapshot) -> None:
        """Reads of `kind` resolved to `save_id` in a read that began at `before`."""
        if self._live and user_id not in self._under_way and before == self.snapshot(user_id):
            self._latest[(user_id, kind)] = save_id
            self._by_user.setdefault(user_id, set()).add(kind)

    def save_changed(self, user_id: str, save_id: str, ended: bool) -> None:
        """A save of the user was queued, ran, or ended: their reads may resolve elsewhere."""
        self._generations[user_id] = self._generations.get(user_id, 0) + 1
        for kind in self._by_user.pop(user_id, ()):
            self._latest.pop((user_id, kind), None)
        under_way = self._under_way.setdefault(user_id, set())
        if ended:
            under_way.discard(save_id)
            self._ended[save_id] = None
            while len(self._ended) > MAX_ENDED:
                self._ended.popitem(last=False)
        else:
            under_way.add(save_id)
        if not under_way:
            del self._under_way[user_id]

    def seen(self, user_id: str, save_id: str, ended: bool) -> None:
        """A save as the library answered it to a client: its end (or start) may be seen
        there before the stream tells it, and a read right after must not be older."""
        if ended and save_id not in self._ended:
            self.save_changed(user_id, save_id, ended=True)
        elif not ended and save_id not in self._under_way.get(user_id, ()):
            self.save_changed(user_id, save_id, ended=False)

    def stream_up(self) -> None:
        """The save stream is subscribed: every later change will be told."""
        self._epoch += 1
        self._live = True

    def stream_down(self) -> None:
        """The save stream broke: changes may be missed until it is up again."""
        self._epoch += 1
        self._live = False
        self._latest.clear()
        self._by_user.clear()
        self._generations.clear()
        self._under_way.clear()
        self._ended.clear()


class Pages:
    """Pages' bodies by ETag, least recently used evicted beyond `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, etag: str) -> bytes | None:
        body = self._pages.get(etag)
        if body is not None:
            self._pages.move_to_end(etag)
        return body

    def keep(self, etag: str, body: bytes) -> None:
        if len(body) > min(MAX_PAGE_BYTES, self._max_bytes) or etag in self._pages:
            return
        self._pages[etag] = body
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self._bytes -= len(evicted)

    @property
    def bytes(self) -> int:
        return self._bytes


@dataclass
class ReadCache:
    latest: LatestSaves
    pages: Pages

    @classmethod
    def of_size(cls, max_bytes: int) -> ReadCache:
        return cls(LatestSaves(), Pages(max_bytes))


def of_app(state: Any) -> ReadCache:
    """The app's read cache (`app.state`), made on first use: the reads and the save
    stream's follower share it."""
    cache: ReadCache | None = getattr(state, "read_cache", None)
    if cache is None:
        cache = state.read_cache = ReadCache.of_size(MAX_BYTES)
    return cache
