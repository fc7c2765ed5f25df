"""The Emulator: the Python API tests hold, around the HTTP server."""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from spotify_emulator.app import App
from spotify_emulator.config import EmulatorConfig, Faults
from spotify_emulator.server import Server
from spotify_emulator.state import State
from spotify_emulator.users import User

log = logging.getLogger("spotify_emulator")

# Every scope Tapedeck asks for, for tokens minted without the browser flow.
ALL_SCOPES = (
    "playlist-read-private playlist-read-collaborative user-library-read user-follow-read "
    "user-read-private user-read-email"
)
# The scopes a restore asks for on top (a second consent).
WRITE_SCOPES = (
    "playlist-modify-private playlist-modify-public user-library-modify user-follow-modify"
)


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._state = State(self.config)
        self._server: Server | None = None
        self._bound = ""
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = Server((host, port), App(self._state, self))
        bound_port = server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self._bound = f"http://{shown}:{bound_port}"
        self._state.relink(self.config.public_url or self._bound)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how long stop() may wait
            name=f"spotify-emulator-{bound_port}",
            daemon=True,
        )
        self._thread.start()
        log.debug("Spotify emulator serving on %s", self._bound)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Blocks until stop() (from another thread) or KeyboardInterrupt."""
        if self._thread is None:
            raise RuntimeError("start() first")
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> Emulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Where it is

    @property
    def base_url(self) -> str:
        return self._state.links.base

    @property
    def listen_url(self) -> str:
        """Where the server listens (differs from base_url only with a public_url)."""
        return self._bound

    @property
    def api_url(self) -> str:
        return self._state.links.api

    @property
    def accounts_url(self) -> str:
        return self._state.links.base

    # Behaviour

    @property
    def mode(self) -> str:
        return self._state.mode

    @property
    def faults(self) -> Faults:
        return self._state.faults.faults

    def set_faults(self, faults: Faults) -> None:
        self._state.faults.set(faults)

    def set_mode(self, mode: str) -> None:
        self._state.set_mode(mode)

    @property
    def token_ttl_s(self) -> int:
        return self._state.tokens.ttl_s

    def set_token_ttl(self, seconds: int) -> None:
        self._state.tokens.ttl_s = int(seconds)

    def expire_access_tokens(self, user_id: str | None = None) -> int:
        return self._state.tokens.expire_access(user_id)

    def revoke_refresh_tokens(self, user_id: str) -> int:
        return self._state.tokens.revoke_refresh(user_id)

    def issue_token(self, user_id: str | None = None, scope: str = ALL_SCOPES) -> dict[str, Any]:
        """A token response as /api/token gives after a login, without the browser flow."""
        user_id = user_id or self.config.default_user
        self._state.libraries.get(user_id)
        return self._state.tokens.issue(user_id, scope, self.config.client_id)

    def stats(self) -> dict[str, Any]:
        return self._state.stats.snapshot()

    def writes(self) -> dict[str, int]:
        """Write requests (any method but GET) counted so far, by route template, with
        their sum under "total": what a test of a dry run or of the fewest writes checks."""
        counted = {
            route: n
            for route, n in self.stats()["by_route"].items()
            if not route.startswith("GET ")
        }
        return {**counted, "total": sum(counted.values())}

    def reset_stats(self) -> None:
        self._state.stats.reset()

    def user(self, user_id: str | None = None) -> User:
        user_id = user_id or self.config.default_user
        return User(self._state, self._state.libraries.get(user_id))
