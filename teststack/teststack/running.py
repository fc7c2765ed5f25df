"""A service started for a test, and how to stop it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kit.server import Served


@dataclass
class Running:
    name: str
    served: Served
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.served.port}"

    def stop(self, grace: float = 0.0) -> None:
        self.served.stop(grace)
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.cleanups.clear()
