"""supervisord's XML-RPC interface over its unix socket (what supervisorctl talks to)."""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__()
        self._path = path
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        # A fresh connection per call: supervisord closes idle ones.
        return _UnixConnection(self._path, self._timeout)


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    # supervisor.states.ProcessStates' name: STARTING, RUNNING, BACKOFF, FATAL, …
    state: str
    # Why supervisord could not spawn it (a missing command, say); "" when it could.
    spawnerr: str


class Supervisor:
    def __init__(self, socket_path: Path, timeout: float = 5.0) -> None:
        self._proxy = xmlrpc.client.ServerProxy(
            "http://localhost", transport=_UnixTransport(socket_path, timeout)
        )

    def processes(self) -> list[ProcessInfo]:
        found = cast(list[dict[str, Any]], self._proxy.supervisor.getAllProcessInfo())
        return [
            ProcessInfo(name=str(p["name"]), state=str(p["statename"]), spawnerr=str(p["spawnerr"]))
            for p in found
        ]

    def shutdown(self) -> None:
        self._proxy.supervisor.shutdown()
