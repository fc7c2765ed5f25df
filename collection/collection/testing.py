"""The engine's logic tests without a running stack: an in-memory Spotify Web API with the
surface of SpotifyClient the engine uses, a migrated SQLite database copied from one template
per session, and the engine (collection.engine.Collection) over both.

A pytest plugin (registered by the root conftest, like kit.testing.plugin) for the engine's
tests and each entity service's: `from collection.testing import FakeSpotify, Engine, ...`,
and the fixtures `database` and `spotify`."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from collection.engine import Collection
from collection.entity import Entity
from collection.lists import OffsetList, child_list, sync_cursor_list, sync_offset_list
from collection.model import Entry, Outcome, Progress, StoredEntry, ref_of
from collection.server import MIGRATIONS
from collection.store import CollectionStore
from collection.sync import SyncRun, Write
from kit.database import Database, create_engine, open_database
from kit.spotify.client import SpotifyClient, SpotifyRefused

Json = dict[str, Any]
API = "https://api.spotify.test/v1"
# Spotify's largest limit for most lists; a larger one is answered 400.
MAX_LIMIT = 50
DEFAULT_LIMIT = 20


def paging(path: str, items: list[Any], offset: int, limit: int, total: int) -> Json:
    """Spotify's offset paging object for items [offset, offset+limit) of a list of `total`."""

    def url(at: int) -> str:
        return f"{API}/{path}?offset={at}&limit={limit}"

    return {
        "href": url(offset),
        "items": items,
        "limit": limit,
        "next": url(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": url(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }


def _copy(obj: Any) -> Any:
    """What a fresh HTTP answer would be: JSON decoded again, shared with nobody."""
    return orjson.loads(orjson.dumps(obj))


class FakeSpotify:
    """One user's Spotify, as dicts by path (no leading slash, as the engine asks): offset-paged
    lists, whole objects, cursor-paged lists and refusals. Each sync gets a `client()` of its
    own, as the engine's `client_for` does, so its calls and request count are its own."""

    def __init__(self) -> None:
        self.lists: dict[str, list[Any]] = {}
        self.max_limits: dict[str, int] = {}
        self.objects: dict[str, Any] = {}
        # path -> (key the page is under, items): /me/following's {"artists": {...}}.
        self.cursor_lists: dict[str, tuple[str, list[Any]]] = {}
        # (path, offset or None for any) -> what a request raises.
        self.failures: dict[tuple[str, int | None], BaseException] = {}
        # Called with (path, params) as each request arrives, before it is answered.
        self.before: Callable[[str, Json], None] | None = None
        self.clients: list[FakeClient] = []

    def offset_list(self, path: str, items: list[Any], max_limit: int = MAX_LIMIT) -> None:
        self.lists[path] = list(items)
        self.max_limits[path] = max_limit

    def object(self, path: str, obj: Any) -> None:
        self.objects[path] = obj

    def cursor_list(self, path: str, key: str, items: list[Any]) -> None:
        self.cursor_lists[path] = (key, list(items))

    def fail(self, path: str, error: BaseException, offset: int | None = None) -> None:
        """Requests to `path` (at `offset`, or any) raise `error`."""
        self.failures[(path, offset)] = error

    def client(self, _user_id: str = "") -> SpotifyClient:
        """A client for one sync (what `Collection`'s `client_for` returns)."""
        client = FakeClient(self)
        self.clients.append(client)
        return cast(SpotifyClient, client)

    @property
    def last(self) -> FakeClient:
        """The client of the latest sync."""
        return self.clients[-1]

    def answer(self, path: str, params: dict[str, Any]) -> Any:
        if self.before is not None:
            self.before(path, params)
        offset = int(params.get("offset", 0))
        failure = self.failures.get((path, offset)) or self.failures.get((path, None))
        if failure is not None:
            raise failure
        if path in self.objects:
            return _copy(self.objects[path])
        if path in self.lists:
            limit = int(params.get("limit", DEFAULT_LIMIT))
            if not 1 <= limit <= self.max_limits[path]:
                raise SpotifyRefused(400, "Invalid limit")
            items = self.lists[path]
            return _copy(paging(path, items[offset : offset + limit], offset, limit, len(items)))
        if path in self.cursor_lists:
            return _copy(self._cursor_page(path, params))
        raise SpotifyRefused(404, "Resource not found")

    def _cursor_page(self, path: str, params: dict[str, Any]) -> Json:
        key, items = self.cursor_lists[path]
        limit = int(params.get("limit", DEFAULT_LIMIT))
        if not 1 <= limit <= MAX_LIMIT:
            raise SpotifyRefused(400, "Invalid limit")
        after = params.get("after")
        start = 0
        if after is not None:
            start = next(i for i, item in enumerate(items) if item["id"] == after) + 1
        shown = items[start : start + limit]
        more = start + limit < len(items)
        last = shown[-1]["id"] if shown and more else None
        return {
            key: {
                "cursors": {"after": last},
                "href": f"{API}/{path}?after={after}&limit={limit}",
                "items": shown,
                "limit": limit,
                "next": f"{API}/{path}?after={last}&limit={limit}" if last else None,
                "total": len(items),
            }
        }


class FakeClient:
    """One sync's Spotify client: SpotifyClient's `get`, `set_concurrency`, `requests` and
    `close`, and every call it made (refused ones included, as the real count does)."""

    def __init__(self, spotify: FakeSpotify) -> None:
        self._spotify = spotify
        self._lock = threading.Lock()
        self.calls: list[tuple[str, Json]] = []
        self.concurrency = 8
        self.closed = False

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        path = path.lstrip("/")
        with self._lock:
            self.calls.append((path, dict(params or {})))
        return self._spotify.answer(path, dict(params or {}))

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.calls)

    def set_concurrency(self, n: int) -> int:
        self.concurrency = 8 if n <= 0 else min(n, 8)
        return self.concurrency

    def close(self) -> None:
        self.closed = True

    def paths(self) -> Counter[str]:
        """Requests by path."""
        with self._lock:
            return Counter(path for path, _ in self.calls)

    def pages(self, path: str) -> list[tuple[int, int]]:
        """(offset, limit) of every request to `path`, in offset order."""
        with self._lock:
            return sorted(
                (int(p.get("offset", 0)), int(p.get("limit", DEFAULT_LIMIT)))
                for called, p in self.calls
                if called == path
            )


class Engine:
    """The real engine for one entity over a fake Spotify and a database: syncs and reads as
    the collection servicer does them, for user `alice`."""

    def __init__(self, entity: Entity, db: Database, spotify: FakeSpotify, workers: int = 4):
        self.db = db
        self.spotify = spotify
        self.store = CollectionStore(db)
        self.collection = Collection(entity, self.store, spotify.client, workers=workers)
        self.progress: list[Progress] = []

    def sync(self, base: str = "", full: bool = False, user: str = "alice") -> Outcome:
        """A whole sync: its progress is kept in `progress`; returns its outcome."""
        run = self.collection.start_sync(user, full, base)
        events = list(self.collection.sync(run))
        outcome = events[-1]
        assert isinstance(outcome, Outcome), events
        self.progress = [e for e in events[:-1] if isinstance(e, Progress)]
        assert len(self.progress) == len(events) - 1, events
        # A finished sync sealed or dropped every listing it staged.
        assert self.staged() == 0
        return outcome

    def items(self, version: str, user: str = "alice") -> list[Any]:
        """Every item of a version as reads present it, page by page."""
        return self._all(lambda o, n: self.collection.list_items(user, version, o, n))

    def item(self, version: str, item_id: str, user: str = "alice") -> Any:
        return orjson.loads(self.collection.get_item(user, version, item_id))

    def children(self, version: str, item_id: str, user: str = "alice") -> list[Any]:
        """Every child item of one item (a playlist's items), page by page."""
        return self._all(lambda o, n: self.collection.list_children(user, version, item_id, o, n))

    def children_total(self, version: str, item_id: str, user: str = "alice") -> int:
        return self.collection.list_children(user, version, item_id, 0, 1)[1]

    def staged(self) -> int:
        """Listings a sync began and never sealed."""
        with self.db.read() as session:
            query = "SELECT count(*) FROM listings WHERE digest IS NULL"
            return int(session.scalar(sa.text(query)) or 0)

    @staticmethod
    def _all(read: Callable[[int, int], tuple[list[str], int]], page: int = 100) -> list[Any]:
        # Pages of 100: a long list is read back in several, in order.
        found: list[Any] = []
        while True:
            bodies, total = read(len(found), page)
            found.extend(orjson.loads(body) for body in bodies)
            if not bodies or len(found) >= total:
                assert len(found) == total
                return found


# A tiny entity of each list kind, for the engine's own tests


def song(n: int) -> Json:
    return {"id": f"s{n}", "uri": f"spotify:track:s{n}", "name": f"Song {n}"}


class Songs:
    """An offset-paged list at me/songs, 50 a page."""

    kind = "songs"

    def __init__(self, page: int = 50) -> None:
        self.page = page

    def plan(self, run: SyncRun) -> list[Write]:
        listing = OffsetList("me/songs", self.page)
        return sync_offset_list(run, listing, ref_of, unchanged_when_first_page_is=True)

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


class Boxes:
    """An offset-paged list at me/boxes whose boxes carry a first page of their songs; the
    rest come from boxes/{id}/songs, 3 a page (a child listing, like a playlist's items)."""

    kind = "boxes"

    def plan(self, run: SyncRun) -> list[Write]:
        return sync_offset_list(
            run,
            OffsetList("me/boxes", 50),
            ref_of,
            unchanged_when_first_page_is=False,
            children=self._box,
        )

    @staticmethod
    def _box(run: SyncRun, entry: Entry) -> list[Write]:
        songs = OffsetList(f"boxes/{entry.ref.id}/songs", 3)
        return child_list(run, entry, entry.obj["songs"], songs, ref_of, withheld_on_403=True)

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


class Followed:
    """A cursor-paged list at me/following, its pages under `artists`, 50 a page."""

    kind = "followed"

    def plan(self, run: SyncRun) -> list[Write]:
        return sync_cursor_list(run, "me/following", {"limit": 50}, "artists", ref_of)

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


def serve_boxes(spotify: FakeSpotify, boxes: dict[str, list[Json]], first: int = 2) -> None:
    """Boxes carrying their first `first` songs; the rest at boxes/{id}/songs."""
    listed = []
    for box_id, songs in boxes.items():
        nested = {"items": songs[:first], "total": len(songs)}
        listed.append({"id": box_id, "uri": f"spotify:box:{box_id}", "songs": nested})
        spotify.offset_list(f"boxes/{box_id}/songs", songs, max_limit=3)
    spotify.offset_list("me/boxes", listed)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the collection tables' head, once per session (each test
    folder's conftest names this fixture again: the file is made by the first)."""
    path = tmp_path_factory.getbasetemp() / "collection-template.db"
    if not path.exists():
        open_database(f"sqlite:///{path}", MIGRATIONS).dispose()
    return path


@pytest.fixture
def database(migrated_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database: a copy of the template (no migration per test),
    configured as the services configure theirs except that nothing waits for the disk
    (synchronous=OFF: a test's data need not survive a power cut; checkpoints' fsyncs were
    a third of a test's time)."""
    path = tmp_path / "collection.db"
    shutil.copy(migrated_template, path)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _no_fsync)
    db = Database(engine)
    yield db
    db.dispose()


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    # After kit.database's own pragmas (listeners run in the order they were added).
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture
def spotify() -> FakeSpotify:
    return FakeSpotify()
