"""Extended M3U (UTF-8, `.m3u8`) of a playlist's downloaded tracks, in playlist order: a
`#EXTINF:<seconds>,<Artist> - <Title>` line, then the file's path relative to the downloads
folder, so the file works when kept in that folder. Tracks without a finished download are
left out: a player cannot play them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence

from gateway.exports.exportify import Item, track_of
from gateway.exports.itunes import Downloads, File

HEADER = "#EXTM3U\n"
# A line break inside a name would end the #EXTINF line early.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def seconds(duration_ms: int) -> int:
    """Whole seconds, rounded half up, as players write #EXTINF."""
    return (duration_ms + 500) // 1000


def _line(value: str) -> str:
    return _BREAKS.sub(" ", value).strip()


def entry(track: Item, file: File) -> str:
    """The two lines of one downloaded track."""
    artists = track.get("artists")
    artist = ", ".join(str(a.get("name") or "") for a in artists or [] if isinstance(a, dict))
    title = str(track.get("name") or "")
    shown = f"{artist} - {title}" if artist else title
    duration = file.duration_ms if file.duration_ms > 0 else track.get("duration_ms")
    length = seconds(duration) if isinstance(duration, int) and duration > 0 else -1
    path = file.path if not file.path.startswith("#") else "./" + file.path
    return f"#EXTINF:{length},{_line(shown)}\n{path}\n"


async def playlist_m3u(
    pages: AsyncIterable[Sequence[Item]],
    downloaded: Callable[[list[str]], Awaitable[Downloads]],
) -> AsyncIterator[str]:
    """The playlist's file, a page of items at a time."""
    yield HEADER
    async for page in pages:
        tracks = [t for t in (track_of(item) for item in page) if t is not None]
        spotify_ids = [str(t["id"]) for t in tracks if t.get("id")]
        if not spotify_ids:
            continue
        files = (await downloaded(spotify_ids)).files
        chunk = [entry(t, files[str(t.get("id"))]) for t in tracks if str(t.get("id")) in files]
        if chunk:
            yield "".join(chunk)
