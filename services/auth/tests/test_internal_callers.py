"""A user's Spotify access token goes only to the services that call Spotify for them: the
gateway's credential (all a compromised gateway holds) cannot collect it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import login_user, start_auth
from teststack.running import Running

from kit.channels import open_channel
from kit.credentials import Credential, credential_for, derive
from spotify_emulator import Emulator


@pytest.fixture
def auth(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Running]:
    running = start_auth(emulator, sqlite_database_url, tmp_path, internal_token)
    yield running
    running.stop()


def _spotify_token(auth: Running, credential: Credential, user_id: str) -> grpc.StatusCode:
    with open_channel(auth.address, credential, timeout=10) as channel:
        try:
            answer = auth_pb2_grpc.AuthServiceStub(channel).GetSpotifyToken(
                auth_pb2.GetSpotifyTokenRequest(user_id=user_id)
            )
        except grpc.RpcError as failure:
            return failure.code()  # type: ignore[no-any-return]
    assert answer.access_token
    return grpc.StatusCode.OK


def test_the_gateway_cannot_get_a_users_spotify_token_and_the_entity_services_can(
    auth: Running, emulator: Emulator, internal_token: str
) -> None:
    user_id = login_user(auth.address, emulator, "alice", internal_token)
    gateway = credential_for(internal_token, "gateway")
    assert _spotify_token(auth, gateway, user_id) == grpc.StatusCode.PERMISSION_DENIED
    # The library writes restores into the user's account.
    for service in ("playlist", "track", "album", "artist", "library"):
        allowed = credential_for(internal_token, service)
        assert _spotify_token(auth, allowed, user_id) == grpc.StatusCode.OK
    for other in ("download",):
        refused = credential_for(internal_token, other)
        assert _spotify_token(auth, refused, user_id) == grpc.StatusCode.PERMISSION_DENIED


def test_the_gateways_credential_under_another_name_is_refused(
    auth: Running, emulator: Emulator, internal_token: str
) -> None:
    user_id = login_user(auth.address, emulator, "alice", internal_token)
    stolen = derive(internal_token, "gateway")
    for name in ("playlist", "spotify-collector"):
        code = _spotify_token(auth, Credential(name, stolen), user_id)
        assert code == grpc.StatusCode.UNAUTHENTICATED


def test_the_gateways_credential_still_starts_a_login(auth: Running, internal_token: str) -> None:
    gateway = credential_for(internal_token, "gateway")
    with open_channel(auth.address, gateway, timeout=10) as channel:
        started = auth_pb2_grpc.AuthServiceStub(channel).StartLogin(
            auth_pb2.StartLoginRequest(return_to="/", client_address="127.0.0.1")
        )
    assert started.authorize_url.startswith("http://127.0.0.1")
