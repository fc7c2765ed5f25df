"""A save's event stream (`GET /api/v1/library/saves/{id}/events`), read on a thread to its
end, so a test can stop something meanwhile and look at how the stream ended."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class EventStream:
    events: list[tuple[str, Any]] = field(default_factory=list)
    # What ended the reading when the stream did not end cleanly (a dropped connection is
    # requests.exceptions.ChunkedEncodingError).
    failure: Exception | None = None
    ended_at: float | None = None
    _first: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def read(self, url: str, token: str, save_id: str, first_within_s: float = 30) -> None:
        """Starts reading; returns once the first event has come (a `progress`)."""

        def run() -> None:
            try:
                answer = requests.get(
                    f"{url}/api/v1/library/saves/{save_id}/events",
                    headers={"Authorization": f"Bearer {token}"},
                    stream=True,
                    timeout=120,
                )
                assert answer.status_code == 200, answer.text
                name = ""
                for line in answer.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self.events.append((name, json.loads(line.removeprefix("data: "))))
                        self._first.set()
            except (requests.RequestException, AssertionError, ValueError) as exc:
                self.failure = exc
            finally:
                self.ended_at = time.monotonic()
                self._first.set()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert self._first.wait(first_within_s), "no first event"
        assert self.events and self.events[0][0] == "progress", (self.events, self.failure)

    def wait(self, within_s: float) -> None:
        """Until the stream has ended; fails if it has not within `within_s`."""
        assert self._thread is not None
        self._thread.join(within_s)
        assert not self._thread.is_alive(), "the stream did not end"
