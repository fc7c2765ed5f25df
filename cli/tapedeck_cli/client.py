"""The gateway's public HTTP API (docs/api.md), as the commands need it: a request that
answers JSON or raises a CliError saying in one line what went wrong, paged reads, a save's
event stream and a streamed download."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tapedeck_cli.events import Event, read_events
from tapedeck_cli.exits import CliError, Exit

# The gateway sends a keep-alive comment on an event stream every 15 s by default, so a
# minute of silence means the connection is gone.
TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=60.0)
PAGE_SIZE = 100


class Client:
    """One server, and the token to send (None for the routes that need none)."""

    def __init__(self, server: str, token: str | None = None) -> None:
        self.server = server
        self.token = token
        headers = {"User-Agent": "tapedeck-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Certificates matter only to an https server. Loading the CA bundle costs a plain
        # http one (a local `make run`) 0.15 s of CPU per command for nothing, as no TLS
        # ever happens: the client talks to this one origin alone and follows no redirects.
        self._http = httpx.Client(
            base_url=server,
            headers=headers,
            timeout=TIMEOUT,
            verify=server.startswith("https://"),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=_present(params)).json()

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.request("POST", path, json=body)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self._reaching():
            response = self._http.request(method, path, **kwargs)
        check(response)
        return response

    def pages(self, path: str, limit: int | None = None, **params: Any) -> Iterator[Any]:
        """Every item of a paged read, in order, `limit` at most. Pages are asked for by
        offset rather than by following `next`: those links are built from the server's
        public URL, which may not be how this machine reaches it (a tunnel, a proxy)."""
        offset = 0
        given = 0
        while limit is None or given < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - given)
            page = self.get(path, offset=offset, limit=size, **params)
            items = page["items"]
            yield from items
            given += len(items)
            offset += len(items)
            if not items or offset >= page["total"]:
                return

    def events(self, path: str) -> Iterator[Event]:
        """A Server-Sent Events stream, event by event, until the server ends it."""
        with self._reaching():
            with self._http.stream("GET", path, headers={"Accept": "text/event-stream"}) as r:
                check(r)
                yield from read_events(r.iter_lines())

    @contextmanager
    def download(self, path: str, **params: Any) -> Iterator[httpx.Response]:
        """A streamed answer, its status checked before the body is read."""
        with self._reaching():
            with self._http.stream("GET", path, params=_present(params)) as response:
                check(response)
                yield response

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            raise CliError(
                f"cannot reach the Tapedeck server at {self.server} ({_reason(exc)}); "
                "is it running? (--server or TAPEDECK_URL says where)",
                Exit.SERVER_DOWN,
            ) from exc


def check(response: httpx.Response) -> None:
    """Raises the CliError for an error answer (docs/api.md "Errors")."""
    if response.status_code < 400:
        return
    response.read()  # a streamed answer's error body; a no-op for one already read
    status = response.status_code
    body = _body_of(response)
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    code = str(error.get("code", "http_error"))
    message = str(error.get("message", f"the server answered {status} {response.reason_phrase}"))
    wait = response.headers.get("retry-after")
    retry = f"; try again in {wait} s" if wait else ""
    if status == 401 and code == "spotify_authorization_lost":
        message = (
            "Spotify no longer accepts your login (its access was removed or expired): "
            "log in with Spotify again (tapedeck login). What is saved stays readable."
        )
        exit_code = Exit.NOT_LOGGED_IN
    elif status == 401:
        message = f"not logged in: the server refused the token ({message}); run tapedeck login"
        exit_code = Exit.NOT_LOGGED_IN
    elif status == 503:
        message = f"the server is unavailable: {message}{retry}"
        exit_code = Exit.SERVER_DOWN
    else:
        message = f"{message}{retry} ({status} {code})"
        exit_code = Exit.USAGE if status in (400, 422) else Exit.FAILED
    raise CliError(message, exit_code, status=status, body=body)


def _body_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        # Not the gateway's error body: a proxy's page, or not a Tapedeck server at all.
        return {}
    return body if isinstance(body, dict) else {}


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def error_body(data: str) -> str:
    """The message of an error event's data (the usual error body), or the data itself."""
    try:
        return str(json.loads(data)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return data
