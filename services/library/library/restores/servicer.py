"""gRPC in, the restore jobs, gRPC out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.restore.v1 import restore_pb2, restore_pb2_grpc

from kit import errors
from library.reads import paging
from library.restores.imports import Import, ImportedPlaylist, Imports
from library.restores.jobs import RestoreJobs
from library.restores.model import Restore, Selection


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def restore_message(restore: Restore) -> restore_pb2.Restore:
    return restore_pb2.Restore(
        id=restore.id,
        status=restore.status,
        dry_run=restore.dry_run,
        mode=restore.mode,
        source_save=restore.source_save,
        source_import=restore.source_import,
        created_at=_timestamp(restore.created_at),
        started_at=_timestamp(restore.started_at),
        finished_at=_timestamp(restore.finished_at),
        plan_json=json.dumps(restore.plan) if restore.plan else "",
        done=restore.done,
        total=restore.total,
        spotify_requests=restore.spotify_requests,
        error_code=restore.error_code,
        error_message=restore.error_message,
    )


def import_message(found: Import, with_uris: bool = False) -> restore_pb2.Import:
    return restore_pb2.Import(
        id=found.id,
        format=found.format,
        created_at=_timestamp(found.created_at),
        playlists=[
            restore_pb2.ImportedPlaylist(
                id=p.id,
                name=p.name,
                description=p.description,
                uris=p.uris if with_uris else [],
                unresolved=p.unresolved,
                items=len(p.uris),
            )
            for p in found.playlists
        ],
        liked=len(found.liked),
        albums=len(found.albums),
    )


class RestoreServicer(restore_pb2_grpc.RestoreServiceServicer):
    def __init__(self, jobs: RestoreJobs, imports: Imports) -> None:
        self._jobs = jobs
        self._imports = imports

    def CreateImport(
        self, request: restore_pb2.CreateImportRequest, context: Any
    ) -> restore_pb2.CreateImportResponse:
        made = self._imports.create(
            errors.required(request.user_id, "user_id"),
            request.format,
            [
                ImportedPlaylist("", p.name, p.description, list(p.uris), p.unresolved)
                for p in request.playlists
            ],
            list(request.liked),
            list(request.albums),
        )
        return restore_pb2.CreateImportResponse(imported=import_message(made))

    def GetImport(
        self, request: restore_pb2.GetImportRequest, context: Any
    ) -> restore_pb2.GetImportResponse:
        found = self._imports.get(errors.required(request.user_id, "user_id"), request.import_id)
        return restore_pb2.GetImportResponse(imported=import_message(found))

    def ListImports(
        self, request: restore_pb2.ListImportsRequest, context: Any
    ) -> restore_pb2.ListImportsResponse:
        offset, limit = paging(request.offset, request.limit)
        found, total = self._imports.page(
            errors.required(request.user_id, "user_id"), offset, limit
        )
        return restore_pb2.ListImportsResponse(
            imports=[import_message(i) for i in found], total=total
        )

    def DeleteImport(
        self, request: restore_pb2.DeleteImportRequest, context: Any
    ) -> restore_pb2.DeleteImportResponse:
        self._imports.delete(errors.required(request.user_id, "user_id"), request.import_id)
        return restore_pb2.DeleteImportResponse()

    def StartRestore(
        self, request: restore_pb2.StartRestoreRequest, context: Any
    ) -> restore_pb2.StartRestoreResponse:
        chosen = request.selection
        selection = Selection(
            chosen.all_playlists,
            tuple(chosen.playlists),
            chosen.liked,
            chosen.albums,
            chosen.artists,
        )
        restore = self._jobs.start(
            errors.required(request.user_id, "user_id"),
            request.source_save,
            request.source_import,
            selection,
            request.mode or "new",
            request.dry_run,
        )
        return restore_pb2.StartRestoreResponse(restore=restore_message(restore))

    def GetRestore(
        self, request: restore_pb2.GetRestoreRequest, context: Any
    ) -> restore_pb2.GetRestoreResponse:
        restore = self._jobs.get(errors.required(request.user_id, "user_id"), request.restore_id)
        return restore_pb2.GetRestoreResponse(restore=restore_message(restore))

    def ListRestores(
        self, request: restore_pb2.ListRestoresRequest, context: Any
    ) -> restore_pb2.ListRestoresResponse:
        offset, limit = paging(request.offset, request.limit)
        found, total = self._jobs.page(errors.required(request.user_id, "user_id"), offset, limit)
        return restore_pb2.ListRestoresResponse(
            restores=[restore_message(r) for r in found], total=total
        )

    def CancelRestore(
        self, request: restore_pb2.CancelRestoreRequest, context: Any
    ) -> restore_pb2.CancelRestoreResponse:
        self._jobs.cancel(errors.required(request.user_id, "user_id"), request.restore_id)
        return restore_pb2.CancelRestoreResponse()

    def WatchRestore(
        self, request: restore_pb2.WatchRestoreRequest, context: Any
    ) -> Iterator[restore_pb2.WatchRestoreResponse]:
        for restore in self._jobs.watch(
            errors.required(request.user_id, "user_id"), request.restore_id, context.is_active
        ):
            yield restore_pb2.WatchRestoreResponse(restore=restore_message(restore))
