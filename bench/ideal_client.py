"""The "ideal client" of the library-save benchmark: fetches every page of a user's library
with a fixed number of requests in flight (each list's first page, then the rest of it in
parallel), parses only the pages it needs to find further pages, and stores nothing. No
client that fetches the same pages with the same concurrency does much better; Tapedeck's
save is measured against it.

    fetch_library("http://127.0.0.1:8099/v1", access_token, concurrency=8)  # -> requests

asyncio decides what to fetch next; the requests themselves run on `concurrency` threads,
each with its own keep-alive `requests.Session`. (httpx's asyncio client was tried first and
spent about a third of its time in a failing `import sniffio` that httpcore retries on
every request when sniffio is not installed, as here.)
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

PAGE = 50  # the most /me/*, /items (2026) and /albums/{id}/tracks hand out at once


class _Fetcher:
    def __init__(self, api_url: str, token: str, pool: ThreadPoolExecutor) -> None:
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pool = pool
        self.local = threading.local()
        self.requests = 0
        self.count_lock = threading.Lock()

    def _get(self, url: str, params: dict[str, Any] | None) -> bytes:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        if not url.startswith("http"):
            url = self.api_url + url
        answer = session.get(url, params=params, headers=self.headers, timeout=60)
        with self.count_lock:
            self.requests += 1
        answer.raise_for_status()
        return answer.content

    async def fetch(self, url: str, params: dict[str, Any] | None = None) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._get, url, params)

    async def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """A page that tells where further pages are: parsed."""
        answer = await self.fetch(url, params)
        return json.loads(answer)

    async def pages(self, path: str, offsets: range) -> None:
        """Pages nothing further depends on: fetched, not parsed."""
        await asyncio.gather(*(self.fetch(path, {"limit": PAGE, "offset": o}) for o in offsets))

    async def total(self, path: str) -> None:
        first = await self.get(path, {"limit": PAGE, "offset": 0})
        await self.pages(path, range(PAGE, first["total"], PAGE))

    async def playlist(self, playlist_id: str) -> None:
        # The full playlist carries its first items (100 in 2026), or `items: null` when
        # Spotify withholds them; /items hands out the rest.
        nested = (await self.get(f"/playlists/{playlist_id}"))["items"]
        if nested is not None:
            start = nested["offset"] + nested["limit"]
            await self.pages(f"/playlists/{playlist_id}/items", range(start, nested["total"], PAGE))

    async def each_page(self, path: str) -> list[Any]:
        """Every page of an offset-paged list whose items are needed, parsed."""
        first = await self.get(path, {"limit": PAGE, "offset": 0})
        rest = await asyncio.gather(
            *(
                self.get(path, {"limit": PAGE, "offset": o})
                for o in range(PAGE, first["total"], PAGE)
            )
        )
        return [first, *rest]

    async def playlists(self) -> None:
        pages = await self.each_page("/me/playlists")
        await asyncio.gather(*(self.playlist(p["id"]) for page in pages for p in page["items"]))

    async def albums(self) -> None:
        pages = await self.each_page("/me/albums")
        await asyncio.gather(
            *(
                self.pages(
                    f"/albums/{s['album']['id']}/tracks",
                    range(len(s["album"]["tracks"]["items"]), s["album"]["tracks"]["total"], PAGE),
                )
                for page in pages
                for s in page["items"]
            )
        )

    async def artists(self) -> None:
        # Cursor paging: one page after another.
        page = (await self.get("/me/following", {"type": "artist", "limit": PAGE}))["artists"]
        while page["next"]:
            page = (await self.get(page["next"]))["artists"]

    async def library(self) -> None:
        await asyncio.gather(
            self.playlists(), self.total("/me/tracks"), self.albums(), self.artists()
        )


def fetch_library(api_url: str, token: str, concurrency: int = 8) -> int:
    """Fetches the whole library at `api_url` (…/v1); returns how many requests it made."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ideal") as pool:
        fetcher = _Fetcher(api_url.rstrip("/"), token, pool)
        asyncio.run(fetcher.library())
    return fetcher.requests
