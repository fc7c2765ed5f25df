"""ASGI middleware: the request size limit, and the security headers of every answer."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(limit: int) -> tuple[dict[str, Any], bytes]:
    body = json.dumps(
        {
            "error": {
                "status": 413,
                "code": "payload_too_large",
                "message": f"the request body is larger than {limit} bytes",
            }
        }
    ).encode()
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, body


class BodyLimit:
    """413 for bodies over `limit` bytes, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        """`larger`: paths that take bodies up to another limit (imports' files)."""
        self.app = app
        self.limit = limit
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        start, body = _too_large(limit)
        await send(start)
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


# What the web app, to be served from the gateway, may load: its own origin only. Nothing may
# frame an answer (clickjacking), and no <base> or plugin can change where things come from.
APP_POLICY = "; ".join(
    [
        "default-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds nosniff, no-referrer, a Content-Security-Policy and, when the public URL is
    https, Strict-Transport-Security to every HTTP answer, errors and streams included. A
    header the route set itself wins: the start page and /docs have stricter policies.

    Pure ASGI (it only looks at the answer's first message), so a stream's body passes
    through untouched and unbuffered."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        headers = {
            b"x-content-type-options": b"nosniff",
            b"referrer-policy": b"no-referrer",
            b"x-frame-options": b"DENY",
            b"content-security-policy": APP_POLICY.encode(),
        }
        if hsts:
            headers[b"strict-transport-security"] = HSTS.encode()
        self.headers = list(headers.items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
