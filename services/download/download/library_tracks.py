"""The user's saved tracks, read from the library service's newest save (the real
`TrackSource`): the library knows which save is newest and reads the entity services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import grpc
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from download.jobs import TrackInfo
from kit import errors
from kit.status import error_from_rpc

# The library's largest page.
PAGE = 100
# Track ids looked up one call each; more are found in the Liked Songs read whole.
MANY = 20


@contextmanager
def _typed_errors() -> Iterator[None]:
    try:
        yield
    except grpc.RpcError as exc:
        raise error_from_rpc(exc) from None


class LibraryTracks:
    def __init__(self, channel: grpc.Channel) -> None:
        self._library = library_pb2_grpc.LibraryServiceStub(channel)

    def tracks(self, user_id: str, track_ids: Sequence[str]) -> list[TrackInfo]:
        """Each track from the user's Liked Songs; NotFound naming the ones that are not.
        A few are looked up one by one; for more, the Liked Songs are read page by page
        (100 a call) rather than one call each."""
        if len(track_ids) > MANY:
            liked = {t.id: t for t in self.liked_tracks(user_id)}
            _unknown([t for t in track_ids if t not in liked])
            return [liked[t] for t in track_ids]
        found: list[TrackInfo] = []
        missing: list[str] = []
        for track_id in track_ids:
            try:
                with _typed_errors():
                    answer = self._library.GetItem(
                        library_pb2.GetItemRequest(
                            user_id=user_id, kind=library_pb2.KIND_TRACKS, item_id=track_id
                        )
                    )
            except errors.NotFound:
                missing.append(track_id)
                continue
            track = TrackInfo.from_spotify(json.loads(answer.item_json))
            if track is None:
                missing.append(track_id)
            else:
                found.append(track)
        _unknown(missing)
        return found

    def playlist_tracks(self, user_id: str, playlist_id: str) -> list[TrackInfo]:
        def page(save_id: str, offset: int) -> tuple[list[str], int, str]:
            answer = self._library.ListPlaylistItems(
                library_pb2.ListPlaylistItemsRequest(
                    user_id=user_id,
                    save_id=save_id,
                    playlist_id=playlist_id,
                    offset=offset,
                    limit=PAGE,
                )
            )
            return list(answer.items_json), answer.total, answer.save_id

        return _every(page)

    def liked_tracks(self, user_id: str) -> list[TrackInfo]:
        def page(save_id: str, offset: int) -> tuple[list[str], int, str]:
            answer = self._library.ListItems(
                library_pb2.ListItemsRequest(
                    user_id=user_id,
                    kind=library_pb2.KIND_TRACKS,
                    save_id=save_id,
                    offset=offset,
                    limit=PAGE,
                )
            )
            return list(answer.items_json), answer.total, answer.save_id

        return _every(page)


def _unknown(missing: Sequence[str]) -> None:
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise errors.NotFound(f"not among your saved tracks (save your library first): {shown}")


def _every(page: Callable[[str, int], tuple[list[str], int, str]]) -> list[TrackInfo]:
    """Every item of a listing, page by page from the save the first page came from, as
    downloadable tracks (local files and episodes left out)."""
    tracks: list[TrackInfo] = []
    offset, save_id = 0, ""
    while True:
        with _typed_errors():
            items, total, save_id = page(save_id, offset)
        for item_json in items:
            track = TrackInfo.from_spotify(json.loads(item_json))
            if track is not None:
                tracks.append(track)
        offset += len(items)
        if not items or offset >= total:
            return tracks
