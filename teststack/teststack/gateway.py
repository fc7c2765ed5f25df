"""The gateway, served by uvicorn on a thread, on a socket bound to 127.0.0.1:0."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.credentials import credential_for
from kit.settings import SERVICES


class RunningGateway:
    def __init__(self, settings: GatewaySettings, internal_token: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # The gateway calls as itself, with its own credential, never the root (as make run
        # hands it): it can do exactly what a deployed gateway can.
        app = create_app(
            settings.model_copy(update={"public_url": self.url}),
            credential_for(internal_token, "gateway"),
        )
        self.app = app
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> RunningGateway:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.01)
        return self

    @property
    def revocations_synced(self) -> bool:
        """The gateway's revocation stream is caught up: it checks tokens itself. Otherwise
        it asks the auth service per request."""
        return bool(self.app.state.sessions.revocations.synced)

    def wait_synced(self, within_s: float = 10) -> None:
        deadline = time.monotonic() + within_s
        while not self.revocations_synced:
            assert time.monotonic() < deadline, "the gateway's revocation stream did not catch up"
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


# Port 1 refuses connections: a service a test did not start is down, never someone else's.
ABSENT = "127.0.0.1:1"


def gateway_settings(addresses: dict[str, str], **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {f"{name}_addr": addresses.get(name, ABSENT) for name in SERVICES}
    values.update(overrides)
    return GatewaySettings(_env_file=None, **values)
