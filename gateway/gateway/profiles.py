"""Users' stored Spotify profiles (what `GET /api/v1/me` answers), remembered per user in this
process so that /me needs no call to the auth service. Imports no gRPC: the revocation
watcher (watcher.py) and the routes call the hooks.

A profile changes when the user logs in again, and the auth service then sends a
`user_authorization` event of that user (it sends one on every login and on a lost
authorization). So a profile is used only while the revocation stream is caught up, dropped
on any event of its user (`changed`) and all of them when the stream breaks (`clear`), and
never remembered from a read that began before either (`snapshot`: a generation per user and
an epoch for everyone). The gateway's own login callback drops the user's profile too, so a
/me on the replica that took the login never waits for the stream."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# Profiles remembered at most (a Spotify user object is about 1 KB).
MAX_PROFILES = 10_000


@dataclass(frozen=True)
class Snapshot:
    epoch: int
    generation: int


class Profiles:
    def __init__(self, size: int = MAX_PROFILES) -> None:
        self._size = size
        self._profiles: OrderedDict[str, str] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._epoch = 0

    def get(self, user_id: str) -> str | None:
        profile = self._profiles.get(user_id)
        if profile is not None:
            self._profiles.move_to_end(user_id)
        return profile

    def snapshot(self, user_id: str) -> Snapshot:
        return Snapshot(self._epoch, self._generations.get(user_id, 0))

    def remember(self, user_id: str, profile: str, before: Snapshot) -> None:
        """`profile` as read by a read that began at `before`; kept only if nothing changed
        since. The caller keeps nothing while the revocation stream is not caught up."""
        if before != self.snapshot(user_id):
            return
        self._profiles[user_id] = profile
        self._profiles.move_to_end(user_id)
        while len(self._profiles) > self._size:
            self._profiles.popitem(last=False)

    def changed(self, user_id: str) -> None:
        """The user logged in again or their authorization changed: read it again."""
        if len(self._generations) >= self._size:
            # Bounded: forgetting the generations is safe once the epoch moves on (no read
            # begun before is remembered).
            self._generations.clear()
            self._epoch += 1
        self._generations[user_id] = self._generations.get(user_id, 0) + 1
        self._profiles.pop(user_id, None)

    def clear(self) -> None:
        """The revocation stream broke: events may be missed until it catches up."""
        self._epoch += 1
        self._profiles.clear()
        self._generations.clear()
