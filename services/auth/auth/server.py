"""Wiring only: the auth servicer on a kit server."""

from __future__ import annotations

from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from auth.servicer import AuthServicer
from kit.server import Registration, Served, create_server


def create_auth_server(servicer: AuthServicer, address: str, internal_token: str) -> Served:
    return create_server(
        address,
        [
            Registration(
                auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
                auth_pb2_grpc.add_AuthServiceServicer_to_server,
                servicer,
            )
        ],
        internal_token=internal_token,
    )
