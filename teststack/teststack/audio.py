"""A local HTTP server of real audio, for the download service's tests and benchmark: the
`url` source (TAPEDECK_DOWNLOAD_URL_TEMPLATE) points yt-dlp at it.

Every path `/<anything>.wav` answers a WAV file (a sine wave made with the stdlib `wave`
module), unless the test told the server to answer that path otherwise: an HTTP status, a
stall (headers, then nothing: the client's read times out), or a slow body that waits on
an event midway (to kill or cancel a worker mid-download). It counts every request per
path."""

from __future__ import annotations

import io
import math
import struct
import threading
import wave
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


def sine_wav(seconds: float, rate: int = 8000, hz: float = 440.0) -> bytes:
    """A mono 16-bit WAV of a sine wave."""
    frames = int(seconds * rate)
    one = [
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(rate)
    ]
    period = b"".join(one)
    body = (period * (frames // rate + 1))[: frames * 2]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(body)
    return out.getvalue()


@dataclass
class Slow:
    """A body sent half at once, then the rest trickling (`trickle_bytes` every `every_s`)
    until `release` is set, when it all goes. `started` is set when the first half has been
    sent. Only the `request`-th request of the path is slow: yt-dlp's first looks at the
    file's first bytes, its second downloads."""

    request: int = 2
    trickle_bytes: int = 512
    every_s: float = 0.05
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class AudioServer:
    def __init__(self, audio: bytes | None = None, content_type: str = "audio/wav") -> None:
        self.audio = audio if audio is not None else sine_wav(2.0)
        self.content_type = content_type
        self.requests: Counter[str] = Counter()
        self.statuses: dict[str, int] = {}
        self.stalled: set[str] = set()
        self.slow: dict[str, Slow] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AudioServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for slow in self.slow.values():
            slow.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                # yt-dlp's first request reads the file's first bytes and hangs up.
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    pass

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                with server._lock:
                    server.requests[path] += 1
                    nth = server.requests[path]
                status = server.statuses.get(path)
                if status is not None:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", server.content_type)
                self.send_header("Content-Length", str(len(server.audio)))
                self.end_headers()
                if path in server.stalled:
                    server._stop.wait(30)
                    return
                slow = server.slow.get(path)
                try:
                    if slow is None or slow.request != nth:
                        self.wfile.write(server.audio)
                        return
                    half = len(server.audio) // 2
                    self.wfile.write(server.audio[:half])
                    self.wfile.flush()
                    slow.started.set()
                    sent = half
                    while sent < len(server.audio) and not slow.release.wait(slow.every_s):
                        self.wfile.write(server.audio[sent : sent + slow.trickle_bytes])
                        self.wfile.flush()
                        sent += slow.trickle_bytes
                    self.wfile.write(server.audio[sent:])
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
