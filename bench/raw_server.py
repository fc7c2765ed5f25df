"""The fastest simple HTTP server to hand: raw asyncio (uvloop when installed), one fixed
`{"status": "ok"}` answer to every request, keep-alive. The load generator's ceiling is
measured against it, in its own process, to show the generator is not what limits the
gateway's numbers.

    .venv/bin/python bench/raw_server.py --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

_BODY = b'{"status": "ok"}'
_ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(_BODY)).encode()
    + b"\r\n\r\n"
    + _BODY
)


class _Answering(asyncio.Protocol):
    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they have its methods.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        # GET requests without bodies: one answer per header block received.
        self._buffer += data
        requests = self._buffer.count(b"\r\n\r\n")
        if requests and self._transport is not None:
            self._buffer = self._buffer[self._buffer.rfind(b"\r\n\r\n") + 4 :]
            self._transport.write(_ANSWER * requests)


async def _serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Answering, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # optional
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        runner.run(_serve(args.port))


if __name__ == "__main__":
    main()
