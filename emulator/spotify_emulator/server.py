"""The HTTP transport: a stdlib threading server with keep-alive. Stdlib on purpose: a
fault must be able to drop a connection without any answer, which ASGI servers cannot."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from spotify_emulator.messages import Drop, Outcome, Request, Response, api_error

log = logging.getLogger("spotify_emulator")

App = Callable[[Request], Outcome]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open dozens of connections at once; the default backlog of 5 would make
    # some of them wait for a SYN retry.
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer are routine in fault tests: log, don't print.
        log.debug("connection from %s failed", client_address, exc_info=True)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self._open_lock:
            if open_:
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def close_connections(self) -> None:
        """Ends kept-alive connections too, so a stopped emulator really stops answering."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SpotifyEmulator/1.0"
    sys_version = ""
    # Headers and body go out in two writes; without this Nagle and delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections end eventually
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        target = urlsplit(self.path)
        path = unquote(target.path)
        if len(path) > 1:
            path = path.rstrip("/")  # spotipy asks for /albums/{id}/tracks/
        request = Request(
            method="GET" if method == "HEAD" else method,
            path=path,
            query=parse_qsl(target.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            outcome = self.server.app(request)
        except Exception:
            log.exception("%s %s failed", method, self.path)
            outcome = api_error(500, "Server error")
        if isinstance(outcome, Drop):
            self._drop()
            return
        self._send(outcome, head=method == "HEAD")

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: Response, head: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)
