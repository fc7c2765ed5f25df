"""Wiring only: the library servicer on a kit server."""

from __future__ import annotations

from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit.server import Registration, Served, create_server
from kit.tls import GrpcTls
from library.servicer import LibraryServicer


def create_library_server(
    servicer: LibraryServicer,
    address: str,
    internal_token: str,
    workers: int = 64,
    *,
    tls: GrpcTls | None = None,
) -> Served:
    return create_server(
        address,
        [
            Registration(
                library_pb2.DESCRIPTOR.services_by_name["LibraryService"],
                library_pb2_grpc.add_LibraryServiceServicer_to_server,
                servicer,
            )
        ],
        internal_token=internal_token,
        max_workers=workers,
        tls=tls,
    )
