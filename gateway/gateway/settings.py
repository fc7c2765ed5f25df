"""The gateway's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from kit.settings import TapedeckSettings


class GatewaySettings(TapedeckSettings):
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    # Request bodies larger than this get 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # An import's file (POST /api/v1/imports) may be larger than that, up to this.
    max_import_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # A save's event stream sends a comment line after this many quiet seconds, so proxies
    # and browsers keep the connection while a save waits (on Spotify's rate limit, say).
    sse_keepalive_s: float = Field(default=15.0, gt=0)
    # Save event streams one person may have open at once; beyond, 429.
    max_event_streams_per_user: int = Field(default=16, ge=1)
    # When set, /metrics answers only `Authorization: Bearer <this>`; unset, only clients on
    # a loopback address. As long as a generated internal token: a short one is guessable.
    metrics_token: SecretStr | None = Field(default=None, min_length=32)
    # The built web app (web/dist; `make run` sets it). Unset or not built: `/` is the start
    # page, which says how to build it (gateway.routes.web).
    web_dir: Path | None = None
    # The gateway never calls Spotify; the web app shows cover images from where Spotify's
    # objects point, which is this URL's origin when it is not Spotify's own (the emulator).
    spotify_api_url: str = "https://api.spotify.com/v1"
