"""How the kinds page through Spotify's lists, shared: offset-paged lists (the first page
tells the total, the rest go concurrently), child lists (a playlist's items, an album's
tracks) and cursor-paged lists (followed artists)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from collection.model import Entry, Listing, Ref, digest, json_text
from collection.sync import SyncRun, Write, items_of, offsets
from kit import errors
from kit.spotify.client import SpotifyRefused

RefOf = Callable[[Any], Ref]


class PageSize:
    """The page size of a kind of list, shared by every list of that kind (each playlist's
    items): a limit Spotify refuses once is not asked again, by that list or a later one."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._size = size
        # The smallest limit Spotify refused; anything below it is asked as it is.
        self._refused = size + 1

    @property
    def value(self) -> int:
        """The size new pages are planned at."""
        with self._lock:
            return self._size

    def accepts(self, limit: int) -> bool:
        with self._lock:
            return limit < self._refused

    def refused(self, limit: int) -> int:
        """Spotify answered 400 to `limit`: pages are planned at half of it from now on.
        Returns the size to ask for instead."""
        with self._lock:
            self._refused = min(self._refused, limit)
            self._size = min(self._size, limit // 2)
            return limit // 2


class OffsetList:
    """A list paged by offset and limit at `path`. Its page size steps down (halving) when
    Spotify answers 400 to a limit, for this list and every list sharing its `PageSize`."""

    def __init__(
        self, path: str, page_size: int | PageSize, params: dict[str, Any] | None = None
    ) -> None:
        self.what = path
        self._params = params or {}
        self.size = page_size if isinstance(page_size, PageSize) else PageSize(page_size)

    def page(self, run: SyncRun, offset: int, limit: int) -> Any:
        """One page (Spotify's paging object) of up to `limit` items, asked for in pages of
        the size Spotify accepts."""
        if not self.size.accepts(limit):  # planned before Spotify refused that size
            return self._joined(run, offset, limit, self.size.value)
        try:
            return run.client.get(self.what, {**self._params, "limit": limit, "offset": offset})
        except SpotifyRefused as exc:
            if exc.status != 400 or limit <= 1:
                raise
        return self._joined(run, offset, limit, self.size.refused(limit))

    def _joined(self, run: SyncRun, offset: int, limit: int, first_limit: int) -> Any:
        """[offset, offset+limit) as two requests joined: `first_limit` items, then the rest."""
        first = self.page(run, offset, first_limit)
        items, total = items_of(first)
        if offset + first_limit >= total:  # the list ends within the first part
            return {**first, "limit": limit}
        second = self.page(run, offset + first_limit, limit - first_limit)
        more, _ = items_of(second)
        return {**first, "items": items + more, "total": total, "limit": limit}

    def items(self, run: SyncRun, offset: int, limit: int) -> list[Any]:
        return items_of(self.page(run, offset, limit))[0]

    def rest(self, start: int, total: int) -> list[tuple[int, int]]:
        return offsets(start, total, self.size.value)


def refused(what: str, exc: SpotifyRefused) -> errors.TapedeckError:
    return errors.Unavailable(f"Spotify refused {what}: {exc.status} {exc.message}")


def entries(items: list[Any], start: int, ref_of: RefOf) -> list[Entry]:
    return [Entry(start + i, item, ref_of(item)) for i, item in enumerate(items)]


def sync_offset_list(
    run: SyncRun,
    listing: OffsetList,
    ref_of: RefOf,
    *,
    unchanged_when_first_page_is: bool,
    children: Callable[[SyncRun, Entry], list[Write] | None] | None = None,
) -> list[Write]:
    """Plans a whole offset-paged list into the run's top listing. With
    `unchanged_when_first_page_is`, a list whose total and first page equal the base
    version's is unchanged (new items always come first). `children(run, entry)` may
    take over an entry (to give it a child listing): it returns the writes, or None to have
    the entry written as it is."""
    try:
        first = listing.page(run, 0, listing.size.value)
    except SpotifyRefused as exc:
        raise refused(listing.what, exc) from None
    items, total = items_of(first)
    run.set_total(total)
    if unchanged_when_first_page_is and run.base is not None and not run.full:
        stored = run.store.first_digests(run.base.id, len(items))
        if run.base.count == total and stored == [digest(json_text(i)) for i in items]:
            run.reuse_base()
            return []

    def write(page_items: list[Any], start: int) -> list[Write]:
        plain: list[Entry] = []
        taken: list[Write] = []
        for entry in entries(page_items, start, ref_of):
            handled = children(run, entry) if children else None
            if handled is None:
                plain.append(entry)
            else:
                taken.extend(handled)
        return [(run.top, plain), *taken]

    for offset, limit in listing.rest(len(items), total):

        def page_task(offset: int = offset, limit: int = limit) -> list[Write]:
            try:
                return write(listing.items(run, offset, limit), offset)
            except SpotifyRefused as exc:
                raise refused(listing.what, exc) from None

        run.submit(page_task)
    return write(items, 0)


def child_list(
    run: SyncRun,
    parent: Entry,
    first: Any,
    listing: OffsetList,
    ref_of: RefOf,
    *,
    withheld_on_403: bool = False,
) -> list[Write]:
    """Fills a child listing for `parent` (written to the top listing once the child is
    sealed) from the nested first page `first` and the rest of `listing`, concurrently."""
    items, total = items_of(first)
    child = run.stage()
    rest = listing.rest(len(items), total)

    def complete(sealed: Listing | None) -> list[Write]:
        if sealed is None:
            return [(run.top, [replace(parent, children=None, withheld=True)])]
        return [(run.top, [replace(parent, children=sealed.id)])]

    run.expect(child, 1 + len(rest), complete)
    for offset, limit in rest:

        def page_task(offset: int = offset, limit: int = limit) -> list[Write]:
            try:
                return [(child, entries(listing.items(run, offset, limit), offset, ref_of))]
            except SpotifyRefused as exc:
                if withheld_on_403 and exc.status == 403:
                    run.withhold(child)
                    return [(child, [])]
                raise refused(listing.what, exc) from None

        run.submit(page_task)
    return [(child, entries(items, 0, ref_of))]


def sync_cursor_list(
    run: SyncRun, path: str, params: dict[str, Any], key: str, ref_of: RefOf
) -> list[Write]:
    """Plans a cursor-paged list (its page under `key` of the answer): one page after
    another, since a cursor cannot be guessed."""

    def page_task(after: str | None, start: int) -> list[Write]:
        query = {**params, **({"after": after} if after else {})}
        try:
            answer = run.client.get(path, query)
        except SpotifyRefused as exc:
            raise refused(path, exc) from None
        page = (answer or {}).get(key) or {}
        items, total = items_of(page)
        if start == 0:
            run.set_total(total)
        cursor = (page.get("cursors") or {}).get("after")
        if page.get("next") and cursor and items:
            run.submit(lambda: page_task(cursor, start + len(items)))
        return [(run.top, entries(items, start, ref_of))]

    return page_task(None, 0)
