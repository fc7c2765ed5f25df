"""The collection contract's servicer, the same for every entity service: proto in, the
collection's logic, proto out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc, messages_pb2

from collection.changes import Change
from collection.engine import Collection
from collection.gc import GarbageCollector
from collection.model import Comparison, Outcome, Progress, Ref
from kit import errors


def _ref(ref: Ref) -> messages_pb2.ItemRef:
    return messages_pb2.ItemRef(id=ref.id, uri=ref.uri, name=ref.name)


def progress_message(progress: Progress) -> messages_pb2.Progress:
    return messages_pb2.Progress(
        done=progress.done,
        total=progress.total or 0,
        total_known=progress.total is not None,
        spotify_requests=progress.spotify_requests,
    )


def comparison_message(comparison: Comparison) -> messages_pb2.Comparison:
    return messages_pb2.Comparison(
        added=[_ref(r) for r in comparison.added],
        removed=[_ref(r) for r in comparison.removed],
        changed=[
            messages_pb2.ChangedItem(
                item=_ref(c.item),
                added=[_ref(r) for r in c.added],
                removed=[_ref(r) for r in c.removed],
            )
            for c in comparison.changed
        ],
    )


class CollectionServicer(collection_pb2_grpc.CollectionServiceServicer):  # type: ignore[misc]
    def __init__(self, collection: Collection, gc: GarbageCollector | None = None) -> None:
        self._collection = collection
        self._gc = gc

    def KeepVersions(
        self, request: collection_pb2.KeepVersionsRequest, context: Any
    ) -> collection_pb2.KeepVersionsResponse:
        if self._gc is None:
            raise errors.Unavailable("this service keeps every version")
        dropped = self._gc.keep_versions(request.user_id, request.versions)
        return collection_pb2.KeepVersionsResponse(dropped=dropped)

    def CollectGarbage(
        self, request: collection_pb2.CollectGarbageRequest, context: Any
    ) -> collection_pb2.CollectGarbageResponse:
        if self._gc is None:
            raise errors.Unavailable("this service collects no garbage")
        garbage = self._gc.collect()
        return collection_pb2.CollectGarbageResponse(
            listings=garbage.listings,
            objects=garbage.objects,
            bytes_before=garbage.bytes_before,
            bytes_after=garbage.bytes_after,
        )

    def Sync(
        self, request: collection_pb2.SyncRequest, context: Any
    ) -> Iterator[collection_pb2.SyncResponse]:
        run = self._collection.start_sync(
            errors.required(request.user_id, "user_id"),
            request.full,
            request.base_version,
            save_id=request.save_id,
            concurrency=request.concurrency,
        )
        # The caller went away (its deadline, or the library stopping): stop fetching now.
        context.add_callback(run.cancel)
        for event in self._collection.sync(run):
            if isinstance(event, Outcome):
                yield collection_pb2.SyncResponse(
                    outcome=collection_pb2.Outcome(
                        version=event.version,
                        count=event.count,
                        spotify_requests=event.spotify_requests,
                    )
                )
                return
            yield collection_pb2.SyncResponse(progress=progress_message(event))

    def SetConcurrency(
        self, request: collection_pb2.SetConcurrencyRequest, context: Any
    ) -> collection_pb2.SetConcurrencyResponse:
        n = self._collection.set_concurrency(
            errors.required(request.user_id, "user_id"), request.save_id, request.concurrency
        )
        return collection_pb2.SetConcurrencyResponse(concurrency=n)

    def ListItems(
        self, request: collection_pb2.ListItemsRequest, context: Any
    ) -> collection_pb2.ListItemsResponse:
        items, total = self._collection.list_items(
            errors.required(request.user_id, "user_id"),
            request.version,
            request.offset,
            request.limit,
        )
        return collection_pb2.ListItemsResponse(items_json=items, total=total)

    def GetItem(
        self, request: collection_pb2.GetItemRequest, context: Any
    ) -> collection_pb2.GetItemResponse:
        item = self._collection.get_item(
            errors.required(request.user_id, "user_id"), request.version, request.item_id
        )
        return collection_pb2.GetItemResponse(item_json=item)

    def Compare(
        self, request: collection_pb2.CompareRequest, context: Any
    ) -> collection_pb2.CompareResponse:
        comparison = self._collection.compare(
            errors.required(request.user_id, "user_id"), request.from_version, request.to_version
        )
        return collection_pb2.CompareResponse(comparison=comparison_message(comparison))

    def Changes(
        self, request: collection_pb2.ChangesRequest, context: Any
    ) -> Iterator[collection_pb2.ChangesResponse]:
        changes = self._collection.changes(
            errors.required(request.user_id, "user_id"), request.from_version, request.to_version
        )
        batch: list[collection_pb2.Change] = []
        for change in changes:
            batch.append(change_message(change))
            if len(batch) == CHANGES_PER_MESSAGE:
                yield collection_pb2.ChangesResponse(changes=batch)
                batch = []
        if batch:
            yield collection_pb2.ChangesResponse(changes=batch)


# Changes per streamed message: small messages, few of them.
CHANGES_PER_MESSAGE = 256


def change_message(change: Change) -> collection_pb2.Change:
    return collection_pb2.Change(
        type=change.type,
        playlist_id=change.playlist_id,
        item_id=change.item_id,
        uri=change.uri,
        item_json=change.item_json,
        occurrence=change.occurrence,
        position=change.position,
        from_position=change.from_position,
        added_at=change.added_at,
        added_by_json=change.added_by_json,
        before=change.before,
        after=change.after,
        playlist_name=change.playlist_name,
    )
