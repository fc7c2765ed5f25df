"""The save event streams open now, so that a gateway beginning to shut down ends each at
once with a final event (gateway.server), rather than uvicorn cutting them when its grace
period runs out."""

from __future__ import annotations

from typing import Any


class OpenStreams:
    def __init__(self) -> None:
        self._calls: set[Any] = set()
        self.stopping = False

    def add(self, call: Any) -> None:
        """`call`: the stream's WatchSave call (grpc.aio), cancelled when the gateway stops."""
        self._calls.add(call)
        if self.stopping:
            call.cancel()

    def discard(self, call: Any) -> None:
        self._calls.discard(call)

    def stop(self) -> None:
        """Ends every stream's watch. The stream sees its read cancelled, `stopping` set, and
        ends with its final event. (A call cancelled from the event loop wakes the read at
        once; an extra awaitable in the read's asyncio.wait would not: grpc.aio 1.85 leaves
        such a wait asleep until its timeout after the read completes.)"""
        self.stopping = True
        for call in list(self._calls):
            call.cancel()
