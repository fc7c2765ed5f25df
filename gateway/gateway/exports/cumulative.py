"""The cumulative view of a playlist as CSV: one row per item occurrence it ever held, in
first-seen order. A pure function over the entries' JSON, like the other writers."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any

HEADER = (
    "Track URI",
    "Track Name",
    "Artist Name(s)",
    "Album Name",
    "Occurrence",
    "First Seen",
    "Last Seen",
    "Added At",
    "Present",
    "Cycles",
)


def _cycles(entry: dict[str, Any]) -> str:
    """Each cycle as an ISO 8601 interval, `added/removed` (open-ended `added/` while there),
    separated by `; `."""
    return "; ".join(f"{c['added']}/{c.get('removed') or ''}" for c in entry.get("cycles", []))


def row(entry: dict[str, Any]) -> list[str]:
    item = entry.get("item") or {}
    artists = item.get("artists") or []
    album = item.get("album") or {}
    return [
        entry.get("uri") or "",
        str(item.get("name") or ""),
        ", ".join(str(a.get("name") or "") for a in artists if isinstance(a, dict)),
        str(album.get("name") or "") if isinstance(album, dict) else "",
        str(entry["occurrence"]),
        entry["first_seen"],
        entry["last_seen"],
        entry.get("added_at") or "",
        "true" if entry["present"] else "false",
        _cycles(entry),
    ]


def lines(entries: Iterable[dict[str, Any]], header: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(HEADER)
    for entry in entries:
        writer.writerow(row(entry))
    return out.getvalue()


async def encoded(pages: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    """The CSV as it is written, page by page, header first."""
    yield lines([], header=True).encode()
    async for page in pages:
        yield lines(page).encode()
