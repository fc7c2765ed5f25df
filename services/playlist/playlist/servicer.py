"""What the playlist service adds to the collection contract: a playlist's items."""

from __future__ import annotations

from typing import Any

from tapedeck.playlist.v1 import playlist_pb2, playlist_pb2_grpc

from collection.engine import Collection
from kit import errors
from kit.server import Registration


class PlaylistServicer(playlist_pb2_grpc.PlaylistServiceServicer):  # type: ignore[misc]
    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    def ListPlaylistItems(
        self, request: playlist_pb2.ListPlaylistItemsRequest, context: Any
    ) -> playlist_pb2.ListPlaylistItemsResponse:
        items, total = self._collection.list_children(
            errors.required(request.user_id, "user_id"),
            request.version,
            request.playlist_id,
            request.offset,
            request.limit,
        )
        return playlist_pb2.ListPlaylistItemsResponse(items_json=items, total=total)


def registrations(collection: Collection) -> list[Registration]:
    return [
        Registration(
            playlist_pb2.DESCRIPTOR.services_by_name["PlaylistService"],
            playlist_pb2_grpc.add_PlaylistServiceServicer_to_server,
            PlaylistServicer(collection),
        )
    ]
