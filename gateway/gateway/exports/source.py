"""A user's stored items, page by page from the library service, for the exports.

The save is resolved once: the first page is read from the save asked for (or the newest one
holding the kind), and every later page asks for the save that first answer named, so a save
that completes in the middle of an export cannot mix two saves into one file. The first page
is read before a response starts (`await playlist_items(...)`), so an unknown playlist or
save is answered 404 rather than breaking a stream already under way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tapedeck.library.v1 import library_pb2

from gateway import ids
from gateway.backends import Backends
from gateway.kinds import kind_value

# The library's largest page (collection engine's limit).
PAGE = 100

# One page: (save to read or "" for the newest, offset) -> (items' JSON, total, save read).
Page = tuple[list[str], int, str]
ReadPage = Callable[[str, int], Awaitable[Page]]


@dataclass
class Items:
    """The items of one listing in one save. `save_id` is the save read ("" when no save of
    the kind has completed: then there are no items); `total` their number. Iterate
    (`async for item in items`) for each item's object, or `pages()` for the stored JSON."""

    save_id: str
    total: int
    _first: list[str]
    _read: ReadPage

    async def pages(self) -> AsyncIterator[list[str]]:
        page, offset = self._first, 0
        while page:
            yield page
            offset += len(page)
            if offset >= self.total:
                return
            page, _, _ = await self._read(self.save_id, offset)

    async def item_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page's items as objects (what the writers take, a page at a time)."""
        async for page in self.pages():
            yield [json.loads(item_json) for item_json in page]

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        async for page in self.item_pages():
            for item in page:
                yield item


async def _items(read: ReadPage, save: str | None) -> Items:
    first, total, save_id = await read(save or "", 0)
    return Items(save_id=save_id, total=total, _first=list(first), _read=read)


async def playlist_items(
    backends: Backends, user_id: str, playlist_id: str, save: str | None
) -> Items:
    """A playlist's items in playlist order. NotFound (404) for a malformed id, another
    user's or an unknown playlist, or a save without playlists, before any item is read."""
    item_id = ids.spotify_id(playlist_id, "playlist")

    async def read(save_id: str, offset: int) -> Page:
        answer = await backends.library.ListPlaylistItems(
            library_pb2.ListPlaylistItemsRequest(
                user_id=user_id,
                save_id=save_id,
                playlist_id=item_id,
                offset=offset,
                limit=PAGE,
            )
        )
        return list(answer.items_json), answer.total, answer.save_id

    return await _items(read, save)


async def playlist(
    backends: Backends, user_id: str, playlist_id: str, save: str | None
) -> tuple[dict[str, Any], str]:
    """The playlist's object and the save it was read from; NotFound (404) as for its items.
    Read it first and pass that save on to `playlist_items`, so both come from one save."""
    answer = await backends.library.GetItem(
        library_pb2.GetItemRequest(
            user_id=user_id,
            kind=library_pb2.KIND_PLAYLISTS,
            save_id=save or "",
            item_id=ids.spotify_id(playlist_id, "playlist"),
        )
    )
    found: dict[str, Any] = json.loads(answer.item_json)
    return found, answer.save_id


async def kind_items(backends: Backends, user_id: str, kind: str, save: str | None) -> Items:
    """Every item of a kind ("playlists", "tracks", "albums", "artists") as the reads give
    them. NotFound (404) for a save without that kind."""
    value = kind_value(kind)

    async def read(save_id: str, offset: int) -> Page:
        answer = await backends.library.ListItems(
            library_pb2.ListItemsRequest(
                user_id=user_id, kind=value, save_id=save_id, offset=offset, limit=PAGE
            )
        )
        return list(answer.items_json), answer.total, answer.save_id

    return await _items(read, save)
