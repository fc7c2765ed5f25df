"""Requests and responses as the emulator's routes see them, apart from the HTTP server."""

from __future__ import annotations

import html as markup
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from spotify_emulator import encoding


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded path without the query, trailing slash removed
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering (a fault)."""


DROP = Drop()
Outcome = Response | Drop


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, encoding.dumps(payload), headers=headers or {})


def api_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Spotify's Web API error body: {"error": {"status", "message"}}."""
    return json_response(status, {"error": {"status": status, "message": message}}, headers)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """The accounts service's error body: {"error", "error_description"}."""
    return json_response(status, {"error": error, "error_description": description})


def html(status: int, text: str) -> Response:
    page = f"<!doctype html><title>Spotify emulator</title><p>{markup.escape(text)}</p>"
    return Response(status, page.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(302, b"", "text/plain", {"Location": location})
