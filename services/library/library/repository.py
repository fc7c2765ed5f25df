"""What the logic needs from storage: saves and their kinds' runs (library.store has the SQL)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from library.saves import Save


class SaveRepository(Protocol):
    def add(
        self, save: Save, owner: str | None = None, lease_until: datetime | None = None
    ) -> Save | None:
        """Stores a new save, `owner`'s until `lease_until`, unless the user has an active
        one: then that one, unchanged."""
        ...

    def renew(self, owner: str, save_ids: Collection[str], until: datetime) -> set[str]:
        """Extends `owner`'s leases of those saves; answers the ones still its own (active
        or ended), not taken over by another replica."""
        ...

    def take_expired(self, owner: str, now: datetime, until: datetime) -> list[Save]:
        """Takes for `owner` every active save whose lease has passed (or that has none)."""
        ...

    def put(self, save: Save) -> bool:
        """Writes a save's current state (status, times, errors, every kind's run), unless
        it is stored ended (final): then False."""
        ...

    def get(self, user_id: str, save_id: str) -> Save | None: ...

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Save], int]:
        """The user's saves, newest first, and how many there are."""
        ...

    def latest_completing(self, user_id: str, kind: str) -> Save | None:
        """The user's newest succeeded/partial save that completed `kind`."""
        ...

    def latest_succeeded(self, user_id: str, before: Save | None = None) -> Save | None:
        """The user's newest succeeded save (created before `before`, when given)."""
        ...

    def unfinished(self) -> list[Save]:
        """Every queued or running save, of every user."""
        ...
