"""Wiring only: the library servicer on a kit server."""

from __future__ import annotations

from tapedeck.library.v1 import library_pb2, library_pb2_grpc
from tapedeck.restore.v1 import restore_pb2, restore_pb2_grpc

from kit.server import Registration, Served, create_server, method_path
from kit.tls import GrpcTls
from library.restores.servicer import RestoreServicer
from library.servicer import LibraryServicer

# A scheduler's pass is asked for only by `python -m library run-scheduled` (a CronJob),
# never by the gateway on some user's behalf.
CALLERS = {
    method_path(library_pb2.DESCRIPTOR.services_by_name["LibraryService"], "RunScheduledSaves"): (
        "scheduler",
    )
}


def create_library_server(
    servicer: LibraryServicer,
    address: str,
    internal_token: str,
    workers: int = 64,
    *,
    tls: GrpcTls | None = None,
    restores: RestoreServicer | None = None,
) -> Served:
    """`restores`: the restore service, served beside (docs/design.md, "Restore")."""
    registrations = [
        Registration(
            library_pb2.DESCRIPTOR.services_by_name["LibraryService"],
            library_pb2_grpc.add_LibraryServiceServicer_to_server,
            servicer,
        )
    ]
    if restores is not None:
        registrations.append(
            Registration(
                restore_pb2.DESCRIPTOR.services_by_name["RestoreService"],
                restore_pb2_grpc.add_RestoreServiceServicer_to_server,
                restores,
            )
        )
    return create_server(
        address,
        registrations,
        internal_token=internal_token,
        max_workers=workers,
        callers=CALLERS,
        tls=tls,
    )
