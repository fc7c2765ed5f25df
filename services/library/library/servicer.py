"""gRPC in, logic, gRPC out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.collection.v1 import messages_pb2
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit import errors
from library.diffs import Diff, Diffs
from library.entities import Comparison, Progress, Ref
from library.history_json import event_json, occurrence_json
from library.kinds import KINDS
from library.ledger import EventQuery, Ledger
from library.pruning import Pruning
from library.reads import Reads, paging
from library.retention import PARTS
from library.runs import SaveRunning, SaveRuns
from library.saves import Save
from library.schedule import Schedule, Schedules

CUMULATIVE_MAX_LIMIT = 1000

# The enums are the kinds' and statuses' names by rule: KIND_TRACKS is "tracks",
# SAVE_STATUS_PARTIAL is "partial".


def kind_value(kind: str) -> library_pb2.Kind:
    return cast("library_pb2.Kind", library_pb2.Kind.Value("KIND_" + kind.upper()))


def _kind(value: int) -> str:
    if value == library_pb2.KIND_UNSPECIFIED or value not in library_pb2.Kind.values():
        raise errors.InvalidArgument("kind must be one of: " + ", ".join(KINDS))
    return library_pb2.Kind.Name(value).removeprefix("KIND_").lower()


def _status_value(status: str) -> library_pb2.SaveStatus:
    return cast(
        "library_pb2.SaveStatus", library_pb2.SaveStatus.Value("SAVE_STATUS_" + status.upper())
    )


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def save_message(save: Save) -> library_pb2.Save:
    message = library_pb2.Save(
        id=save.id,
        status=_status_value(save.status),
        kinds=[kind_value(kind) for kind in save.kinds],
        full=save.full,
        created_at=_timestamp(save.created_at),
        started_at=_timestamp(save.started_at),
        finished_at=_timestamp(save.finished_at),
        spotify_requests=save.spotify_requests,
    )
    for kind in save.kinds:
        run = save.run(kind)
        message.progress[kind].CopyFrom(_progress(run.progress))
        if run.completed:
            message.counts[kind] = run.count
    if save.error is not None:
        message.error.CopyFrom(
            library_pb2.SaveError(
                code=save.error.code,
                message=save.error.message,
                kinds=[kind_value(kind) for kind in save.error.kinds],
            )
        )
    return message


def _progress(progress: Progress) -> messages_pb2.Progress:
    return messages_pb2.Progress(
        done=progress.done,
        total=progress.total or 0,
        total_known=progress.total is not None,
        spotify_requests=progress.spotify_requests,
    )


def _ref(ref: Ref) -> messages_pb2.ItemRef:
    return messages_pb2.ItemRef(id=ref.id, uri=ref.uri, name=ref.name)


def _comparison(comparison: Comparison) -> messages_pb2.Comparison:
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


def _diff_message(diff: Diff) -> library_pb2.DiffResponse:
    return library_pb2.DiffResponse(
        from_save_id=diff.from_save_id,
        to_save_id=diff.to_save_id,
        kinds=[
            library_pb2.KindComparison(
                kind=kind_value(k.kind), comparison=_comparison(k.comparison)
            )
            for k in diff.kinds
        ],
    )


def _schedule_message(schedule: Schedule | None) -> library_pb2.Schedule:
    if schedule is None:
        return library_pb2.Schedule()
    return library_pb2.Schedule(every=schedule.every, next_at=_timestamp(schedule.next_at))


class LibraryServicer(library_pb2_grpc.LibraryServiceServicer):
    def __init__(
        self,
        runs: SaveRuns,
        reads: Reads,
        diffs: Diffs,
        ledger: Ledger | None = None,
        *,
        pruning: Pruning | None = None,
        schedules: Schedules | None = None,
    ) -> None:
        self._runs = runs
        self._reads = reads
        self._diffs = diffs
        self._ledger = ledger
        self._pruning = pruning
        self._schedules = schedules

    def _the_schedules(self) -> Schedules:
        if self._schedules is None:
            raise errors.Unavailable("automatic saves are not set up")
        return self._schedules

    def GetSchedule(
        self, request: library_pb2.GetScheduleRequest, context: Any
    ) -> library_pb2.GetScheduleResponse:
        schedule = self._the_schedules().get(request.user_id)
        return library_pb2.GetScheduleResponse(schedule=_schedule_message(schedule))

    def SetSchedule(
        self, request: library_pb2.SetScheduleRequest, context: Any
    ) -> library_pb2.SetScheduleResponse:
        every = request.every if request.HasField("every") else None
        schedule = self._the_schedules().set(request.user_id, every)
        return library_pb2.SetScheduleResponse(schedule=_schedule_message(schedule))

    def RunScheduledSaves(
        self, request: library_pb2.RunScheduledSavesRequest, context: Any
    ) -> library_pb2.RunScheduledSavesResponse:
        started = self._the_schedules().run_due()
        return library_pb2.RunScheduledSavesResponse(started=len(started))

    def _the_pruning(self) -> Pruning:
        if self._pruning is None:
            raise errors.Unavailable("retention is not set up")
        return self._pruning

    def DeleteSave(
        self, request: library_pb2.DeleteSaveRequest, context: Any
    ) -> library_pb2.DeleteSaveResponse:
        self._the_pruning().delete(errors.required(request.user_id, "user_id"), request.save_id)
        return library_pb2.DeleteSaveResponse()

    def GetRetention(
        self, request: library_pb2.GetRetentionRequest, context: Any
    ) -> library_pb2.GetRetentionResponse:
        rule = self._the_pruning().rule(errors.required(request.user_id, "user_id"))
        return library_pb2.GetRetentionResponse(rule=library_pb2.RetentionRule(**rule.as_dict()))

    def SetRetention(
        self, request: library_pb2.SetRetentionRequest, context: Any
    ) -> library_pb2.SetRetentionResponse:
        given: dict[str, object] = {
            part: getattr(request, part) for part in PARTS if request.HasField(part)
        }
        rule = self._the_pruning().set_rule(errors.required(request.user_id, "user_id"), given)
        return library_pb2.SetRetentionResponse(rule=library_pb2.RetentionRule(**rule.as_dict()))

    def _the_ledger(self) -> Ledger:
        if self._ledger is None:
            raise errors.Unavailable("the ledger is not set up")
        return self._ledger

    def StartSave(
        self, request: library_pb2.StartSaveRequest, context: Any
    ) -> library_pb2.StartSaveResponse:
        kinds = [_kind(value) for value in request.kinds]
        try:
            save = self._runs.start(
                errors.required(request.user_id, "user_id"), kinds, request.full
            )
        except SaveRunning as running:
            return library_pb2.StartSaveResponse(
                save=save_message(running.running), already_running=True
            )
        return library_pb2.StartSaveResponse(save=save_message(save))

    def ListSaves(
        self, request: library_pb2.ListSavesRequest, context: Any
    ) -> library_pb2.ListSavesResponse:
        offset, limit = paging(request.offset, request.limit)
        saves, total = self._runs.page(errors.required(request.user_id, "user_id"), offset, limit)
        return library_pb2.ListSavesResponse(saves=[save_message(s) for s in saves], total=total)

    def GetSave(
        self, request: library_pb2.GetSaveRequest, context: Any
    ) -> library_pb2.GetSaveResponse:
        save = self._runs.get(errors.required(request.user_id, "user_id"), request.save_id)
        return library_pb2.GetSaveResponse(save=save_message(save))

    def WatchSave(
        self, request: library_pb2.WatchSaveRequest, context: Any
    ) -> Iterator[library_pb2.WatchSaveResponse]:
        for save in self._runs.watch(
            errors.required(request.user_id, "user_id"), request.save_id, context.is_active
        ):
            yield library_pb2.WatchSaveResponse(save=save_message(save))

    def WatchSaves(
        self, request: library_pb2.WatchSavesRequest, context: Any
    ) -> Iterator[library_pb2.WatchSavesResponse]:
        feed = self._runs.feed()
        # Wakes the feed at once when the caller goes, rather than at its next change.
        if not context.add_callback(feed.close):
            feed.close()
        # Subscribed: a save the caller reads from now on misses none of its changes.
        yield library_pb2.WatchSavesResponse()
        for batch in feed:
            for save in batch:
                yield library_pb2.WatchSavesResponse(user_id=save.user_id, save=save_message(save))

    def Diff(self, request: library_pb2.DiffRequest, context: Any) -> library_pb2.DiffResponse:
        diff = self._diffs.diff(
            errors.required(request.user_id, "user_id"), request.from_save_id, request.to_save_id
        )
        return _diff_message(diff)

    def ListItems(
        self, request: library_pb2.ListItemsRequest, context: Any
    ) -> library_pb2.ListItemsResponse:
        page = self._reads.list_items(
            errors.required(request.user_id, "user_id"),
            _kind(request.kind),
            request.save_id,
            request.offset,
            request.limit,
        )
        return library_pb2.ListItemsResponse(
            items_json=page.items_json, total=page.total, save_id=page.save_id
        )

    def GetItem(
        self, request: library_pb2.GetItemRequest, context: Any
    ) -> library_pb2.GetItemResponse:
        item = self._reads.get_item(
            errors.required(request.user_id, "user_id"),
            _kind(request.kind),
            request.save_id,
            request.item_id,
        )
        return library_pb2.GetItemResponse(item_json=item.item_json, save_id=item.save_id)

    def ListPlaylistItems(
        self, request: library_pb2.ListPlaylistItemsRequest, context: Any
    ) -> library_pb2.ListPlaylistItemsResponse:
        page = self._reads.list_playlist_items(
            errors.required(request.user_id, "user_id"),
            request.save_id,
            request.playlist_id,
            request.offset,
            request.limit,
        )
        return library_pb2.ListPlaylistItemsResponse(
            items_json=page.items_json, total=page.total, save_id=page.save_id
        )

    def ListEvents(
        self, request: library_pb2.ListEventsRequest, context: Any
    ) -> library_pb2.ListEventsResponse:
        offset, limit = paging(request.offset, request.limit)
        query = EventQuery(
            user_id=errors.required(request.user_id, "user_id"),
            playlist_id=request.playlist_id,
            track_uri=f"spotify:track:{request.track_id}" if request.track_id else "",
            kind=_kind(request.kind) if request.kind else "",
            types=tuple(request.types),
            since=request.since.ToDatetime(UTC) if request.HasField("since") else None,
            until=request.until.ToDatetime(UTC) if request.HasField("until") else None,
        )
        events, total = self._the_ledger().events(query, offset, limit)
        return library_pb2.ListEventsResponse(
            events_json=[event_json(e) for e in events], total=total
        )

    def ListCumulative(
        self, request: library_pb2.ListCumulativeRequest, context: Any
    ) -> library_pb2.ListCumulativeResponse:
        # Up to 1000 a call: the CSV export reads the whole view in few calls.
        offset, limit = paging(request.offset, min(request.limit, 100))
        limit = max(limit, min(request.limit, CUMULATIVE_MAX_LIMIT))
        rows, total = self._the_ledger().cumulative(
            errors.required(request.user_id, "user_id"),
            errors.required(request.playlist_id, "playlist_id"),
            offset,
            limit,
        )
        return library_pb2.ListCumulativeResponse(
            entries_json=[occurrence_json(r) for r in rows],
            total=total,
        )
