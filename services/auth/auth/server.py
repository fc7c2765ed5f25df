"""Wiring only: the auth servicer on a kit server."""

from __future__ import annotations

from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from auth.servicer import AuthServicer
from kit.server import Registration, Served, create_server, method_path
from kit.settings import ENTITY_SERVICES
from kit.tls import GrpcTls

SERVICE = auth_pb2.DESCRIPTOR.services_by_name["AuthService"]

# A user's Spotify access token goes only to the services that call Spotify for them, never
# to the gateway: a compromised gateway cannot collect every user's Spotify access. The
# library writes a restore into the user's account itself.
CALLERS = {method_path(SERVICE, "GetSpotifyToken"): (*ENTITY_SERVICES, "library")}


def create_auth_server(
    servicer: AuthServicer, address: str, internal_token: str, *, tls: GrpcTls | None = None
) -> Served:
    return create_server(
        address,
        [Registration(SERVICE, auth_pb2_grpc.add_AuthServiceServicer_to_server, servicer)],
        internal_token=internal_token,
        callers=CALLERS,
        tls=tls,
    )
