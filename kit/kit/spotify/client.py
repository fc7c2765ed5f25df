"""Calls to the Spotify Web API for one user: a bound on requests
in flight, one process-wide pause when Spotify answers 429, retries with backoff for 5xx and
dropped connections, a fresh token when Spotify answers 401, and an exact request count.

Blocking: callers run it on their own threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import certifi
import orjson
import urllib3

from kit import errors
from kit.spotify.limiter import SpotifyLimiter

log = logging.getLogger(__name__)

# Hands out the user's access token; given the token Spotify just refused, a fresh one.
TokenSource = Callable[[str | None], str]

# Refused or dropped connections, timeouts, truncated answers: urllib3's errors all derive
# from this one.
TRANSIENT = urllib3.exceptions.HTTPError

# Told of every request sent: its route (see route_of) and Spotify's status, 0 for no answer.
RequestHook = Callable[[str, int], None]

# The fixed words of the Web API's paths. Any other segment is an id, a user name or a
# market, and becomes `{id}` in a route, so no route ever carries one.
PATH_WORDS = frozenset(
    [
        "me",
        "playlists",
        "items",
        "tracks",
        "albums",
        "artists",
        "following",
        "contains",
        "users",
        "shows",
        "episodes",
        "audiobooks",
        "chapters",
        "browse",
        "categories",
        "new-releases",
        "featured-playlists",
        "top",
        "search",
        "markets",
        "recommendations",
        "available-genre-seeds",
        "audio-features",
        "audio-analysis",
        "related-artists",
        "top-tracks",
        "images",
        "followers",
        "player",
        "queue",
        "recently-played",
        "currently-playing",
        "devices",
    ]
)


def route_of(path: str) -> str:
    """The route template of a Web API path: `playlists/3cEY…/items` is
    `/playlists/{id}/items`."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return "/" + "/".join(s if s in PATH_WORDS else "{id}" for s in segments if s)


@dataclass(frozen=True)
class SpotifyLimits:
    # Requests in flight at once for one user's sync.
    concurrency: int = 8
    # Tries of one request that fails with a 5xx or a dropped connection.
    attempts: int = 6
    backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    # A Retry-After longer than this ends the sync as rate limited instead of waiting.
    max_retry_after_s: float = 300.0
    # 429 answers one request may meet before the sync gives up.
    rate_limited_attempts: int = 50


class SpotifyRefused(Exception):
    """Spotify answered 4xx (not 401 or 429) to a request: the request itself is refused."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Spotify answered {status}: {message}")
        self.status = status
        self.message = message


class WriteUncertain(errors.Unavailable):
    """A write that is not idempotent failed in a way that leaves unknown whether Spotify
    made it (a 5xx, a dropped connection, a timeout)."""


class SpotifyGate:
    """One per process: after a 429 with Retry-After, no request of this process goes out
    until that time, since Spotify's rate limit counts the whole app, not one user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_at = 0.0

    def close_for(self, seconds: float) -> None:
        with self._lock:
            self._open_at = max(self._open_at, time.monotonic() + seconds)

    def wait(self) -> None:
        while True:
            with self._lock:
                delay = self._open_at - time.monotonic()
            if delay <= 0:
                return
            time.sleep(delay)


class Slots:
    """A semaphore whose size can change while it is held: requests in flight wait for a
    slot, and a smaller size takes effect as requests end (none is interrupted)."""

    def __init__(self, size: int) -> None:
        self._cond = threading.Condition()
        self._size = size
        self._taken = 0

    @property
    def size(self) -> int:
        with self._cond:
            return self._size

    def resize(self, size: int) -> None:
        with self._cond:
            self._size = size
            self._cond.notify_all()

    def __enter__(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._taken < self._size)
            self._taken += 1

    def __exit__(self, *_: object) -> None:
        with self._cond:
            self._taken -= 1
            self._cond.notify()


def spotify_pool(pool_size: int) -> urllib3.PoolManager:
    """Kept-alive connections for one sync. urllib3 itself, not requests on top of it: the
    layers requests adds (sessions, hooks, cookies, environment lookups) cost CPU on every
    page and are of no use here (bench/README.md). No transport retries or redirects: the
    client decides what to retry, and a retry hidden in urllib3 would hide 429's Retry-After
    and miscount requests. Certificates: certifi's, as requests used."""
    return urllib3.PoolManager(
        num_pools=4,
        maxsize=pool_size,
        retries=False,
        ca_certs=certifi.where(),
    )


def _message(body: bytes) -> str:
    """The message of Spotify's error body ({"error": {"status", "message"}})."""
    try:
        error = orjson.loads(body).get("error")
        return str(error.get("message") if isinstance(error, dict) else error)
    except (orjson.JSONDecodeError, AttributeError):
        return body[:200].decode(errors="replace")


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float((headers or {}).get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1.0


class SpotifyClient:
    """One user's Spotify calls during one sync. Thread-safe.

    Pages go through urllib3 and orjson, not spotipy: spotipy formats every response into
    a debug log line even when debug logging is off (bench/README.md). spotipy still does
    the OAuth flows (kit.spotify.accounts)."""

    def __init__(
        self,
        *,
        api_url: str,
        tokens: TokenSource,
        gate: SpotifyGate,
        timeout_s: float,
        limits: SpotifyLimits = SpotifyLimits(),
        on_request: RequestHook | None = None,
        limiter: SpotifyLimiter | None = None,
        user_id: str = "",
    ) -> None:
        """`on_request`: told of every request sent, retries included (for metrics).
        `limiter`: the app's shared, fair pace (limiter.py), `user_id`'s turn taken before
        every request; without one, only `gate`'s pause after a 429."""
        self._on_request = on_request
        self._limiter = limiter
        self._user_id = user_id
        self._api_url = api_url.rstrip("/") + "/"
        self._tokens = tokens
        self._gate = gate
        self._timeout_s = timeout_s
        self.limits = limits
        # One connection pool for the whole sync.
        self._pool = spotify_pool(2 * limits.concurrency)
        self._slots = Slots(limits.concurrency)
        self._lock = threading.Lock()
        self._first_token = threading.Lock()
        self._token: str | None = None
        self._requests = 0

    @property
    def requests(self) -> int:
        """HTTP requests sent to the Web API so far, each retry included."""
        with self._lock:
            return self._requests

    @property
    def concurrency(self) -> int:
        """Requests this client may have in flight at once."""
        return self._slots.size

    def set_concurrency(self, n: int) -> int:
        """Changes the requests in flight allowed from now on, within 1 and the limits'
        bound (0: the bound); returns what it set."""
        n = self.limits.concurrency if n <= 0 else min(n, self.limits.concurrency)
        self._slots.resize(n)
        return n

    def close(self) -> None:
        self._pool.clear()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path` (relative to the API URL) as JSON, with retries.

        Raises SpotifyRefused (4xx), errors.RateLimited (Retry-After beyond the limit),
        errors.Unavailable (Spotify kept failing) or the token source's errors."""
        return self.send("GET", path, params)

    def send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        idempotent: bool = True,
    ) -> Any:
        """`method` on `path` with `params` in the query and `body` as JSON; the answer as
        JSON (None when empty). Retries as `get` does, except that a write that is not
        `idempotent` (adding items) is never sent twice after a 5xx or a lost answer: it
        may have been made, so that raises WriteUncertain at once and the caller looks at
        Spotify before going on. A 401 or 429 means it was not made, and is retried."""
        url = self._api_url + path.lstrip("/")
        if method != "GET" and params:
            url += "?" + urlencode(params)
            params = None
        content_headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = orjson.dumps(body) if body is not None else None
        what = "/" + path.lstrip("/")
        route = route_of(path)
        failures = 0
        rate_limited = 0
        refreshed = 0
        # The token this request itself got fresh after a 401, and 401s met in all: one
        # handed over by another thread may have expired while requests waited their turn.
        own_fresh: str | None = None
        unauthorized = 0
        # After a 401 the request goes again at once with a fresh token, not after another
        # turn: a token expires hourly, and one got before a long wait could expire again.
        retry_now = False
        while True:
            if self._limiter is None:
                self._gate.wait()
            with self._slots:
                # The app's turn first, then the token: a token taken before a long wait
                # for the turn may have expired by then.
                sent_at = time.time()
                if self._limiter is not None and not retry_now:
                    sent_at = self._limiter.acquire(self._user_id)
                retry_now = False
                token = self._current_token()
                with self._lock:
                    self._requests += 1
                try:
                    response = self._pool.request(
                        method,
                        url,
                        fields=params,
                        body=payload,
                        headers={
                            **content_headers,
                            "Authorization": f"Bearer {token}",
                            # As requests asked: Spotify compresses when allowed to.
                            "Accept-Encoding": "gzip, deflate",
                        },
                        timeout=self._timeout_s,
                        redirect=False,
                    )
                    status, body = response.status, response.data
                    if status < 300:
                        answer = orjson.loads(body) if body else None
                        self._sent(route, status)
                        return answer
                    headers, message = response.headers, _message(body)
                except TRANSIENT as exc:
                    status, headers, message = 0, None, type(exc).__name__
                except orjson.JSONDecodeError:
                    status, headers, message = 0, None, "a truncated answer"
            self._sent(route, status)
            if status == 401:
                unauthorized += 1
                if token == own_fresh:
                    refreshed += 1
                if refreshed > 2 or unauthorized > 10:
                    raise errors.Unavailable(f"Spotify keeps refusing fresh tokens ({what})")
                own_fresh = self._refresh(token)
                retry_now = True
            elif status == 429:
                # Spotify took the token: the 401s counted are in a row, not in all.
                refreshed = 0
                rate_limited += 1
                wait = _retry_after(headers)
                if "QUOTA_EXCEEDED" in message:
                    # The developer account's quota: retrying within hours is pointless.
                    if self._limiter is not None:
                        raise self._limiter.quota_exceeded(wait, message)
                    raise errors.RateLimited(
                        f"Spotify's request quota for this app is used up ({what})",
                        retry_after_s=int(wait),
                    )
                if wait > self.limits.max_retry_after_s:
                    raise errors.RateLimited(
                        f"Spotify asks to wait {wait:.0f}s ({what})", retry_after_s=int(wait)
                    )
                if rate_limited > self.limits.rate_limited_attempts:
                    raise errors.RateLimited(
                        f"Spotify kept answering 429 ({what})", retry_after_s=int(wait)
                    )
                log.info("spotify rate limited", extra={"call": what, "retry_after_s": wait})
                if self._limiter is not None:
                    self._limiter.rate_limited(sent_at, wait)
                else:
                    self._gate.close_for(wait)
            elif status == 0 or status >= 500:
                if not idempotent:
                    raise WriteUncertain(
                        f"Spotify's answer to {method} {what} was {status or message}"
                    )
                failures += 1
                if failures >= self.limits.attempts:
                    raise errors.Unavailable(
                        f"Spotify failed {failures} times ({what}): {status or message}"
                    )
                delay = min(self.limits.max_backoff_s, self.limits.backoff_s * 2 ** (failures - 1))
                log.info("spotify retry", extra={"call": what, "status": status, "in_s": delay})
                time.sleep(delay)
            else:
                raise SpotifyRefused(status, message)

    def _sent(self, route: str, status: int) -> None:
        if self._on_request is not None:
            self._on_request(route, status)

    def _current_token(self) -> str:
        with self._lock:
            if self._token is not None:
                return self._token
        # One call to the auth service for the first token, not one per thread starting.
        with self._first_token:
            with self._lock:
                if self._token is not None:
                    return self._token
            token = self._tokens(None)
            with self._lock:
                self._token = token
            return token

    def _refresh(self, rejected: str) -> str | None:
        """Replaces the rejected token; returns the one got, None when another thread
        already had."""
        with self._lock:
            if self._token != rejected:
                return None  # another thread already has a fresh one
        fresh = self._tokens(rejected)
        with self._lock:
            if self._token == rejected:
                self._token = fresh
        return fresh
