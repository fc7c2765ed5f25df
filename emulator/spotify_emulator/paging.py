"""Spotify's offset and cursor paging: parameter checks and paging objects."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from spotify_emulator.links import Links

DEFAULT_LIMIT = 20
Query = list[tuple[str, str]]


class BadParameter(Exception):
    """A query parameter Spotify would answer 400 to; the message is Spotify's."""


def limit_of(query: Query, maximum: int) -> int:
    raw = _get(query, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    value = _int(raw)
    if value is None or not 1 <= value <= maximum:
        raise BadParameter("Invalid limit")
    return value


def offset_of(query: Query) -> int:
    raw = _get(query, "offset")
    if raw is None:
        return 0
    value = _int(raw)
    if value is None or value < 0:
        raise BadParameter("Invalid offset")
    return value


def others(query: Query, *names: str) -> Query:
    """The query without the named (paging) parameters, kept in their order for links."""
    skip = {"offset", "limit", *names}
    return [(k, v) for k, v in query if k not in skip]


def page_url(links: Links, path: str, pairs: Query) -> str:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe=',*')}" for k, v in pairs)
    return f"{links.api}{path}?{query}"


def page(
    links: Links,
    path: str,
    items: list[Any],
    offset: int,
    limit: int,
    total: int,
    extra: Query | None = None,
    next_limit: int | None = None,
) -> dict[str, Any]:
    """A paging object whose links keep every other query parameter. next_limit is the limit
    the next link asks for when the page is larger than the route allows (a playlist's
    nested first page of 100 in 2026 mode, where /items takes at most 50)."""
    rest = extra or []

    def url(at: int, size: int) -> str:
        return page_url(links, path, [("offset", str(at)), ("limit", str(size)), *rest])

    return {
        "href": url(offset, limit),
        "items": items,
        "limit": limit,
        "next": url(offset + limit, next_limit or limit) if offset + limit < total else None,
        "offset": offset,
        "previous": url(max(offset - limit, 0), limit) if offset > 0 else None,
        "total": total,
    }


def _get(query: Query, name: str) -> str | None:
    return next((v for k, v in query if k == name), None)


def _int(raw: str) -> int | None:
    # Spotify accepts plain decimal digits only (no "+5", "1e2" or spaces).
    stripped = raw[1:] if raw.startswith("-") else raw
    return int(raw) if stripped.isdigit() and stripped.isascii() else None
