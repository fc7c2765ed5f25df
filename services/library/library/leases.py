"""The heartbeat of a replica's leases (saves', library.runs; restores',
library.restores.jobs): a beat every `interval_s` on a thread of its own, until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Heartbeat:
    """Calls `beat` every `interval_s` (it extends this replica's leases and takes over
    those of dead replicas) until stopped."""

    def __init__(self, beat: Callable[[], object], interval_s: float, name: str) -> None:
        self._beat_once = beat
        self._interval_s = interval_s
        self._name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops beating (a replica that stops beating is, to the others, dead)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._beat_once()
            except Exception:  # the database may be away for a moment: beat again
                log.exception("leases not kept", extra={"heartbeat": self._name})
