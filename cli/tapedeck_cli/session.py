"""Which server a command talks to and with which token: `--server`, else TAPEDECK_URL,
else the server last logged in to, else a local `make run`; the token from TAPEDECK_TOKEN
(a personal access token for cron and scripts), else the one stored for that server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from tapedeck_cli.client import Client
from tapedeck_cli.config import Credentials
from tapedeck_cli.exits import CliError, Exit

DEFAULT_SERVER = "http://127.0.0.1:8000"
TOKEN_VARIABLE = "TAPEDECK_TOKEN"


def server_url(value: str) -> str:
    """A server's base URL as given, checked, without a trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r} (for example {DEFAULT_SERVER})")
    return value.strip().rstrip("/")


@dataclass
class Session:
    given_server: str | None = None

    @property
    def server(self) -> str:
        if self.given_server:
            return self.given_server
        return Credentials.load().current or DEFAULT_SERVER

    def token(self) -> str:
        from_environment = os.environ.get(TOKEN_VARIABLE, "").strip()
        if from_environment:
            return from_environment
        server = self.server
        stored = Credentials.load().tokens.get(server)
        if not stored:
            raise CliError(
                f"not logged in to {server}: run tapedeck login (or set {TOKEN_VARIABLE})",
                Exit.NOT_LOGGED_IN,
            )
        return stored

    def client(self) -> Client:
        """A client that sends this server's token; not logged in is an error at once."""
        return Client(self.server, self.token())

    def anonymous(self) -> Client:
        return Client(self.server)
