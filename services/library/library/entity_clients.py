"""The entity services over gRPC: the real `Entities`. Stubs are built once, on channels
made once per process; every call has a deadline and failures become kit.errors types."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc, messages_pb2
from tapedeck.playlist.v1 import playlist_pb2, playlist_pb2_grpc

from kit import errors
from kit.status import error_from_rpc
from library.entities import (
    ChangedItem,
    Comparison,
    Garbage,
    Outcome,
    Page,
    Progress,
    Ref,
    SyncOrder,
)
from library.ledger import Change


def _ref(ref: messages_pb2.ItemRef) -> Ref:
    return Ref(ref.id, ref.uri, ref.name)


@contextmanager
def _typed_errors() -> Iterator[None]:
    try:
        yield
    except grpc.RpcError as exc:
        raise error_from_rpc(exc) from None


class GrpcEntities:
    def __init__(
        self,
        channels: Mapping[str, grpc.Channel],
        sync_timeout_s: float,
        gc_timeout_s: float = 600.0,
    ) -> None:
        """`channels`: one per kind (playlists, tracks, albums, artists). `gc_timeout_s`:
        the deadline of a garbage collection, which reads a whole database."""
        self._gc_timeout_s = gc_timeout_s
        self._collections = {
            kind: collection_pb2_grpc.CollectionServiceStub(channel)
            for kind, channel in channels.items()
        }
        self._playlists = playlist_pb2_grpc.PlaylistServiceStub(channels["playlists"])
        self._sync_timeout_s = sync_timeout_s
        self._lock = threading.Lock()
        self._syncs: set[Any] = set()
        self._cancelled = False

    def sync(self, kind: str, order: SyncOrder, on_progress: Callable[[Progress], None]) -> Outcome:
        request = collection_pb2.SyncRequest(
            user_id=order.user_id,
            save_id=order.save_id,
            full=order.full,
            base_version=order.base_version,
            concurrency=order.concurrency,
        )
        with self._lock:
            if self._cancelled:
                raise errors.Unavailable("the library service is stopping")
            call = self._collections[kind].Sync(request, timeout=self._sync_timeout_s)
            self._syncs.add(call)
        try:
            with _typed_errors():
                for answer in call:
                    if answer.HasField("outcome"):
                        r = answer.outcome
                        return Outcome(r.version, r.count, r.spotify_requests)
                    p = answer.progress
                    on_progress(
                        Progress(p.done, p.total if p.total_known else None, p.spotify_requests)
                    )
        finally:
            with self._lock:
                self._syncs.discard(call)
        raise errors.Unavailable(f"the {kind} service ended the sync without a result")

    def cancel_syncs(self) -> None:
        with self._lock:
            self._cancelled = True
            calls = list(self._syncs)
        for call in calls:
            call.cancel()

    def keep_versions(self, kind: str, user_id: str, versions: Iterable[str]) -> int:
        with _typed_errors():
            answer = self._collections[kind].KeepVersions(
                collection_pb2.KeepVersionsRequest(user_id=user_id, versions=sorted(versions))
            )
        return int(answer.dropped)

    def collect_garbage(self, kind: str) -> Garbage:
        with _typed_errors():
            answer = self._collections[kind].CollectGarbage(
                collection_pb2.CollectGarbageRequest(), timeout=self._gc_timeout_s
            )
        return Garbage(answer.listings, answer.objects, answer.bytes_before, answer.bytes_after)

    def set_concurrency(self, kind: str, user_id: str, save_id: str, concurrency: int) -> None:
        with _typed_errors():
            self._collections[kind].SetConcurrency(
                collection_pb2.SetConcurrencyRequest(
                    user_id=user_id, save_id=save_id, concurrency=concurrency
                )
            )

    def list_items(self, kind: str, user_id: str, version: str, offset: int, limit: int) -> Page:
        with _typed_errors():
            answer = self._collections[kind].ListItems(
                collection_pb2.ListItemsRequest(
                    user_id=user_id, version=version, offset=offset, limit=limit
                )
            )
        return Page(list(answer.items_json), answer.total)

    def get_item(self, kind: str, user_id: str, version: str, item_id: str) -> str:
        with _typed_errors():
            answer = self._collections[kind].GetItem(
                collection_pb2.GetItemRequest(user_id=user_id, version=version, item_id=item_id)
            )
        return str(answer.item_json)

    def list_playlist_items(
        self, user_id: str, version: str, playlist_id: str, offset: int, limit: int
    ) -> Page:
        with _typed_errors():
            answer = self._playlists.ListPlaylistItems(
                playlist_pb2.ListPlaylistItemsRequest(
                    user_id=user_id,
                    version=version,
                    playlist_id=playlist_id,
                    offset=offset,
                    limit=limit,
                )
            )
        return Page(list(answer.items_json), answer.total)

    def compare(self, kind: str, user_id: str, from_version: str, to_version: str) -> Comparison:
        with _typed_errors():
            answer = self._collections[kind].Compare(
                collection_pb2.CompareRequest(
                    user_id=user_id, from_version=from_version, to_version=to_version
                )
            )
        c = answer.comparison
        return Comparison(
            added=[_ref(r) for r in c.added],
            removed=[_ref(r) for r in c.removed],
            changed=[
                ChangedItem(_ref(x.item), [_ref(r) for r in x.added], [_ref(r) for r in x.removed])
                for x in c.changed
            ],
        )

    def changes(
        self, kind: str, user_id: str, from_version: str, to_version: str
    ) -> Iterator[Change]:
        """The ledger's changes between two versions (CollectionService.Changes), read to the
        end before they are handed on, so a broken stream raises instead of a short batch."""
        with _typed_errors():
            answers = list(
                self._collections[kind].Changes(
                    collection_pb2.ChangesRequest(
                        user_id=user_id, from_version=from_version, to_version=to_version
                    ),
                    timeout=self._sync_timeout_s,
                )
            )
        for answer in answers:
            for c in answer.changes:
                yield Change(
                    type=c.type,
                    playlist_id=c.playlist_id,
                    item_id=c.item_id,
                    uri=c.uri,
                    item_json=c.item_json,
                    occurrence=c.occurrence,
                    position=c.position if c.HasField("position") else None,
                    from_position=c.from_position if c.HasField("from_position") else None,
                    added_at=c.added_at,
                    added_by_json=c.added_by_json,
                    before=c.before if c.HasField("before") else None,
                    after=c.after if c.HasField("after") else None,
                    playlist_name=c.playlist_name,
                )
