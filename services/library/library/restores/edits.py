"""The fewest writes that make a playlist's items equal to a wanted list, keeping order and
duplicates, within what Spotify's write endpoints allow: removing a URI removes every
occurrence of it; adding puts up to 100 URIs at one position. Items that stay are never
touched, so they keep their added_at (writing the whole list anew with PUT would take fewer
requests for a small playlist, and date every item today).

Pure: no Spotify, no database. Computed afresh from what the playlist holds whenever a
restore starts or resumes, so a write that was made but not recorded is never made twice."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# Spotify's limit on the URIs of one add, replace or remove.
PER_CALL = 100


def fixed(uri: str | None) -> bool:
    """An entry no write can put back (a local file, an unavailable item): never removed,
    so a replace keeps it where it is."""
    return uri is None or uri.startswith("spotify:local:")


@dataclass(frozen=True)
class Insert:
    """`uris` added at `position` of the list as it is when this insert is made (the
    inserts before it made)."""

    position: int
    uris: tuple[str, ...]


@dataclass(frozen=True)
class Edits:
    # Every occurrence of these URIs goes first.
    remove: tuple[str, ...] = ()
    inserts: tuple[Insert, ...] = ()

    @property
    def requests(self) -> int:
        return math.ceil(len(self.remove) / PER_CALL) + len(self.inserts)

    @property
    def added(self) -> int:
        return sum(len(i.uris) for i in self.inserts)

    @property
    def empty(self) -> bool:
        return not self.remove and not self.inserts


def plan_edits(current: Sequence[str | None], wanted: Sequence[str]) -> Edits:
    """The edits turning `current` into `wanted` (fixed entries of `current` stay)."""
    if list(current) == list(wanted):
        return Edits()
    removed: set[str] = set()
    work = list(current)
    while True:
        matcher = SequenceMatcher(None, work, list(wanted), autojunk=False)
        unmatched = {
            uri
            for tag, i1, i2, _, _ in matcher.get_opcodes()
            if tag in ("delete", "replace")
            for uri in work[i1:i2]
            if uri is not None and not fixed(uri)
        }
        if not unmatched:
            break
        # A removed URI loses every copy; those that should stay come back as inserts.
        removed |= unmatched
        work = [u for u in work if u not in removed]
    inserts: list[Insert] = []
    shift = 0
    for tag, i1, _, j1, j2 in matcher.get_opcodes():
        if tag not in ("insert", "replace"):
            continue
        for start in range(j1, j2, PER_CALL):
            chunk = tuple(wanted[start : min(start + PER_CALL, j2)])
            inserts.append(Insert(i1 + shift, chunk))
            shift += len(chunk)
    return Edits(tuple(sorted(removed)), tuple(inserts))


def apply(current: Sequence[str | None], edits: Edits) -> list[str | None]:
    """What `edits` make of `current`, as Spotify would (for tests and dry runs)."""
    gone = set(edits.remove)
    result = [u for u in current if u not in gone]
    for insert in edits.inserts:
        result[insert.position : insert.position] = list(insert.uris)
    return result
