"""What changed between two of a user's saves, kind by kind."""

from __future__ import annotations

from dataclasses import dataclass

from kit import errors
from library.entities import NO_CHANGES, Comparison, Entities
from library.kinds import KINDS
from library.repository import SaveRepository
from library.saves import Save, is_save_id


@dataclass(frozen=True)
class KindComparison:
    kind: str
    comparison: Comparison


@dataclass(frozen=True)
class Diff:
    # "" when `to` is the user's first succeeded save: there is nothing before it.
    from_save_id: str
    to_save_id: str
    # The kinds both saves completed, in canonical order.
    kinds: list[KindComparison]


class Diffs:
    def __init__(self, repo: SaveRepository, entities: Entities) -> None:
        self._repo = repo
        self._entities = entities

    def diff(self, user_id: str, from_save_id: str = "", to_save_id: str = "") -> Diff:
        """`to` defaults to the latest succeeded save, `from` to the succeeded save before it."""
        to = self._save(user_id, to_save_id) if to_save_id else self._repo.latest_succeeded(user_id)
        if to is None:
            raise errors.NotFound("there is no succeeded save to compare yet")
        if from_save_id:
            before: Save | None = self._save(user_id, from_save_id)
        else:
            before = self._repo.latest_succeeded(user_id, before=to)
        if before is None:
            return Diff("", to.id, [])
        kinds = []
        for kind in KINDS:
            if not (before.completed(kind) and to.completed(kind)):
                continue
            old, new = before.run(kind).version, to.run(kind).version
            # An unchanged collection keeps its version: nothing to ask.
            comparison = (
                NO_CHANGES if old == new else self._entities.compare(kind, user_id, old, new)
            )
            kinds.append(KindComparison(kind, comparison))
        return Diff(before.id, to.id, kinds)

    def _save(self, user_id: str, save_id: str) -> Save:
        save = self._repo.get(user_id, save_id) if is_save_id(save_id) else None
        if save is None:
            raise errors.NotFound("no such save")
        return save
