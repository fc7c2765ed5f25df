"""ETags of library reads (docs/api.md "Library reads"): a page read from a save never changes
(versions are content-addressed), so its tag is derived from what chose it, not from its
bytes: the user, the save it was read from, the route and the query (paging, `save`). A new
save changes the tag; another user's tag never matches."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

# Part of every tag: changed when a read's JSON changes shape, so tags given out by an older
# gateway stop matching.
FORMAT = "1"
# Browsers may keep a page but must ask again before using it (the newest save can change at
# any moment), and shared caches must not keep it at all.
CACHE_CONTROL = "private, no-cache"


def etag(request: Request, user_id: str, save_id: str) -> str:
    """The page's tag. The body's `next` and `previous` links repeat the query and the public
    URL, so both are part of it."""
    public_url: str = request.app.state.settings.public_url
    parts = (FORMAT, public_url, user_id, save_id, request.url.path, request.url.query)
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def matches(request: Request, tag: str) -> bool:
    """If-None-Match holds `tag` (the weak comparison RFC 9110 asks for), or is `*`."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def not_modified(tag: str) -> Response:
    return Response(status_code=304, headers={"ETag": tag, "Cache-Control": CACHE_CONTROL})


def tagged(response: Response, tag: str) -> Response:
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
