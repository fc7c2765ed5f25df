"""Server-Sent Events, read from a stream's lines as the WHATWG HTML standard describes them
(only what the gateway sends: `event`, `data`, comments). Small enough that a dependency
would cost more than it saves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    name: str
    data: str


def read_events(lines: Iterable[str]) -> Iterator[Event]:
    """Each event once a blank line ends it; comments (`: keep-alive`) are skipped."""
    name = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield Event(name or "message", "\n".join(data))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    # An event the stream ended before its blank line is dropped, as the standard says.
