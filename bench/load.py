"""A closed-loop HTTP/1.1 load generator that is not the bottleneck: N keep-alive connections,
one request in flight on each (no pipelining), for a fixed time, each request's latency
recorded.

It speaks HTTP/1.1 on raw asyncio connections (a Protocol per connection, uvloop when
installed): a request is a prepared byte string, and an answer is parsed only as far as its
status and length. An httpx client spent most of its time in itself and capped near 500
requests/s on this machine (bench/README.md); this one answers a trivial server
(`raw_server.py`) several times faster than the gateway answers `/healthz`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def report(self) -> dict[str, float | int]:
        return {
            "rps": round(self.rps),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "requests": self.requests,
            "errors": self.errors,
        }


class _Closed(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One keep-alive connection: `ask()` sends the prepared request and resolves to the
    answer's status once its whole body has arrived."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._status = 0
        self._need = -1  # bytes still expected of the current answer's body; -1: headers
        self._chunked = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they have its methods.
        self._transport = cast("asyncio.Transport", transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(_Closed())

    def ask(self, request: bytes) -> asyncio.Future[int]:
        if self._transport is None:
            raise _Closed()
        self._waiter = asyncio.get_running_loop().create_future()
        self._need = -1
        self._transport.write(request)
        return self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._parse()

    def _parse(self) -> None:
        buffer = self._buffer
        if self._need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            del buffer[: end + 4]
            self._status = int(head[9:12])
            self._chunked = b"transfer-encoding: chunked" in head
            length = head.find(b"content-length:")
            if length >= 0:
                line_end = head.find(b"\r\n", length)
                self._need = int(head[length + 15 : line_end if line_end >= 0 else None])
            else:
                self._need = 0
        if self._chunked:
            # Chunked bodies: the answer is whole at the zero-length chunk.
            end = buffer.find(b"\r\n0\r\n\r\n")
            if end < 0 and not buffer.startswith(b"0\r\n\r\n"):
                return
            del buffer[:]
        else:
            if len(buffer) < self._need:
                return
            del buffer[: self._need]
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(self._status)


def _request(url: str, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _run(
    url: str, headers: dict[str, str], concurrency: int, seconds: float, ok: Callable[[int], bool]
) -> Result:
    host, port, request = _request(url, headers)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter

    async def worker(stop_at: float) -> None:
        nonlocal errors
        connection: _Connection | None = None
        try:
            while clock() < stop_at:
                if connection is None:
                    _, connection = await loop.create_connection(_Connection, host, port)
                began = clock()
                try:
                    status = await connection.ask(request)
                except _Closed:
                    errors += 1
                    connection = None
                    continue
                latencies.append(clock() - began)
                if not ok(status):
                    errors += 1
        finally:
            if connection is not None:
                connection.close()

    began = clock()
    await asyncio.gather(*(worker(began + seconds) for _ in range(concurrency)))
    elapsed = clock() - began
    ordered = sorted(latencies) or [0.0]
    return Result(
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000,
    )


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # optional: the generator runs without it, slower
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(
    url: str,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    ok: Callable[[int], bool] = lambda status: status == 200,
) -> Result:
    """`concurrency` connections asking `url` for `seconds`; an answer `ok` refuses (by
    default any but 200) or a dropped connection counts as an error."""
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        return runner.run(_run(url, headers, concurrency, seconds, ok))
