"""Reads of a user's library: which version of a kind a read sees, then the entity service's
page of it. Nothing here calls Spotify."""

from __future__ import annotations

from kit import errors
from library.entities import EMPTY_PAGE, Entities, Page
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


class Reads:
    def __init__(self, repo: SaveRepository, entities: Entities) -> None:
        self._repo = repo
        self._entities = entities

    def version(self, user_id: str, kind: str, save_id: str = "") -> str | None:
        """The version of `kind` a read sees: that of the given save (NotFound unless it is
        the user's and completed the kind), else of the newest save that completed it, else
        None (no save of that kind has completed yet)."""
        require_kind(kind)
        if save_id:
            save = self._repo.get(user_id, save_id) if is_save_id(save_id) else None
            if save is None:
                raise errors.NotFound("no such save")
            if not save.completed(kind):
                raise errors.NotFound(f"that save holds no {kind}")
            return save.run(kind).version
        latest = self._repo.latest_completing(user_id, kind)
        return latest.run(kind).version if latest is not None else None

    def list_items(self, user_id: str, kind: str, save_id: str, offset: int, limit: int) -> Page:
        offset, limit = paging(offset, limit)
        version = self.version(user_id, kind, save_id)
        if version is None:
            return EMPTY_PAGE
        return self._entities.list_items(kind, user_id, version, offset, limit)

    def get_item(self, user_id: str, kind: str, save_id: str, item_id: str) -> str:
        if not item_id:
            raise no_such(kind)
        version = self.version(user_id, kind, save_id)
        if version is None:
            raise no_such(kind)
        try:
            return self._entities.get_item(kind, user_id, version, item_id)
        except errors.NotFound:
            raise no_such(kind) from None

    def list_playlist_items(
        self, user_id: str, save_id: str, playlist_id: str, offset: int, limit: int
    ) -> Page:
        offset, limit = paging(offset, limit)
        if not playlist_id:
            raise no_such("playlists")
        version = self.version(user_id, "playlists", save_id)
        if version is None:
            return EMPTY_PAGE
        try:
            return self._entities.list_playlist_items(user_id, version, playlist_id, offset, limit)
        except errors.NotFound:
            raise no_such("playlists") from None
