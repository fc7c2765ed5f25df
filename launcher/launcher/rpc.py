"""supervisord's XML-RPC interface over its unix socket (what supervisorctl talks to)."""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

# supervisor.states.ProcessStates, by name as getAllProcessInfo reports them.
EXITED_STATES = ("BACKOFF", "EXITED", "FATAL")


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
    state: str
    # When the current (or last) run started, in seconds since the epoch; 0 if never.
    start: int
    pid: int
    exitstatus: int
    spawnerr: str
    logfile: str


class Supervisor:
    def __init__(self, socket_path: Path, timeout: float = 5.0) -> None:
        self._proxy = xmlrpc.client.ServerProxy(
            "http://localhost", transport=_UnixTransport(socket_path, timeout)
        )

    def processes(self) -> list[ProcessInfo]:
        found = cast(list[dict[str, Any]], self._proxy.supervisor.getAllProcessInfo())
        return [
            ProcessInfo(
                name=str(p["name"]),
                state=str(p["statename"]),
                start=int(p["start"]),
                pid=int(p["pid"]),
                exitstatus=int(p["exitstatus"]),
                spawnerr=str(p["spawnerr"]),
                logfile=str(p["stdout_logfile"]),
            )
            for p in found
        ]

    def shutdown(self) -> None:
        self._proxy.supervisor.shutdown()
