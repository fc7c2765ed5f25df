"""Reads of a user's library: which version of a kind a read sees, then the entity service's
page of it. Nothing here calls Spotify."""

from __future__ import annotations

from dataclasses import dataclass

from kit import errors
from library.entities import Entities, Page
from library.kinds import require_kind
from library.repository import SaveRepository
from library.saves import is_save_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def paging(offset: int, limit: int) -> tuple[int, int]:
    """Spotify's paging rules: offset >= 0, limit 1-100 (0 stands for the default, 50)."""
    if offset < 0:
        raise errors.InvalidArgument("offset must be 0 or more")
    if limit < 0 or limit > MAX_LIMIT:
        raise errors.InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}")
    return offset, limit or DEFAULT_LIMIT


def no_such(kind: str) -> errors.NotFound:
    """What a person is told about an item the read's save does not hold ("no such
    playlist"), whichever service found it missing: the entity services speak of versions,
    which a person never sees."""
    return errors.NotFound(f"no such {kind.removesuffix('s')}")


@dataclass(frozen=True)
class Source:
    """The save a read is answered from and its version of the kind. A save's version never
    changes (versions are content-addressed), so the same save and paging read the same
    page: callers may tag it with the save's id."""

    save_id: str
    version: str


@dataclass(frozen=True)
class SavedPage:
    """A page and the save it was read from ("" before any save of the kind completed)."""

    save_id: str
    items_json: list[str]
    total: int


@dataclass(frozen=True)
class SavedItem:
    save_id: str
    item_json: str


def _saved(source: Source | None, page: Page | None) -> SavedPage:
    if source is None or page is None:
        return SavedPage("", [], 0)
    return SavedPage(source.save_id, page.items_json, page.total)


class Reads:
    def __init__(self, repo: SaveRepository, entities: Entities) -> None:
        self._repo = repo
        self._entities = entities

    def source(self, user_id: str, kind: str, save_id: str = "") -> Source | None:
        """The save a read of `kind` sees: the given one (NotFound unless it is the user's
        and completed the kind), else the newest save that completed it, else None (no save
        of that kind has completed yet)."""
        require_kind(kind)
        if save_id:
            save = self._repo.get(user_id, save_id) if is_save_id(save_id) else None
            if save is None:
                raise errors.NotFound("no such save")
            if not save.completed(kind):
                raise errors.NotFound(f"that save holds no {kind}")
        else:
            save = self._repo.latest_completing(user_id, kind)
            if save is None:
                return None
        return Source(save.id, save.run(kind).version)

    def version(self, user_id: str, kind: str, save_id: str = "") -> str | None:
        """The version of `kind` a read sees (see `source`)."""
        source = self.source(user_id, kind, save_id)
        return source.version if source is not None else None

    def list_items(
        self, user_id: str, kind: str, save_id: str, offset: int, limit: int
    ) -> SavedPage:
        offset, limit = paging(offset, limit)
        source = self.source(user_id, kind, save_id)
        if source is None:
            return _saved(None, None)
        return _saved(
            source, self._entities.list_items(kind, user_id, source.version, offset, limit)
        )

    def get_item(self, user_id: str, kind: str, save_id: str, item_id: str) -> SavedItem:
        if not item_id:
            raise no_such(kind)
        source = self.source(user_id, kind, save_id)
        if source is None:
            raise no_such(kind)
        try:
            item = self._entities.get_item(kind, user_id, source.version, item_id)
        except errors.NotFound:
            raise no_such(kind) from None
        return SavedItem(source.save_id, item)

    def list_playlist_items(
        self, user_id: str, save_id: str, playlist_id: str, offset: int, limit: int
    ) -> SavedPage:
        offset, limit = paging(offset, limit)
        if not playlist_id:
            raise no_such("playlists")
        source = self.source(user_id, "playlists", save_id)
        if source is None:
            return _saved(None, None)
        try:
            page = self._entities.list_playlist_items(
                user_id, source.version, playlist_id, offset, limit
            )
        except errors.NotFound:
            raise no_such("playlists") from None
        return _saved(source, page)
