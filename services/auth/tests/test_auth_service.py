"""The auth service over real gRPC, against the Spotify emulator and a real database."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import login_user, start_auth
from teststack.running import Running

from kit.channels import open_channel
from spotify_emulator import Emulator


def _login(auth: Running, emulator: Emulator, token: str, user: str = "alice") -> str:
    return login_user(auth.address, emulator, user, token)


def test_login_stores_the_spotify_profile_as_returned(
    auth: Running, stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, internal_token: str
) -> None:
    user_id = _login(auth, emulator, internal_token)
    import json

    stored = json.loads(stub.GetUser(auth_pb2.GetUserRequest(user_id=user_id)).user_json)
    assert stored == emulator.user("alice").profile()


def test_a_call_without_the_internal_credential_is_refused(auth: Running) -> None:
    with grpc.insecure_channel(auth.address) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.StartLogin(auth_pb2.StartLoginRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_call_with_a_wrong_internal_credential_is_refused(auth: Running) -> None:
    channel = open_channel(auth.address, "not-the-token", timeout=5)
    with pytest.raises(grpc.RpcError) as caught:
        auth_pb2_grpc.AuthServiceStub(channel).StartLogin(auth_pb2.StartLoginRequest())
    channel.close()
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_answers_without_credential_and_names_the_service(auth: Running) -> None:
    with grpc.insecure_channel(auth.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "tapedeck.auth.v1.AuthService"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_spotify_token_is_refreshed_when_it_has_expired(
    auth: Running, stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, internal_token: str
) -> None:
    user_id = _login(auth, emulator, internal_token)
    first = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id)).access_token
    emulator.expire_access_tokens("alice")
    again = stub.GetSpotifyToken(
        auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=first)
    ).access_token
    assert again != first
    # The new token works against Spotify.
    import requests

    me = requests.get(
        f"{emulator.api_url}/me", headers={"Authorization": f"Bearer {again}"}, timeout=5
    )
    assert me.status_code == 200


def test_a_token_near_its_end_is_refreshed_before_spotify_refuses_it(
    auth: Running, stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, internal_token: str
) -> None:
    emulator.set_token_ttl(30)  # inside the 60 s margin: never handed out as is
    user_id = _login(auth, emulator, internal_token)
    before = emulator.stats()["accounts"].get("POST /api/token", 0)
    stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id))
    assert emulator.stats()["accounts"].get("POST /api/token", 0) == before + 1


def test_a_rotated_refresh_token_is_kept(
    emulator: Emulator, database_url: str, tmp_path: Path, internal_token: str
) -> None:
    from teststack.fixtures import make_emulator

    rotating = make_emulator(rotate_refresh_tokens=True)
    running = start_auth(rotating, database_url, tmp_path, internal_token)
    try:
        channel = open_channel(running.address, internal_token, timeout=10)
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        user_id = login_user(running.address, rotating, "alice", internal_token)
        token = ""
        for _ in range(3):  # each refresh retires the previous refresh token
            rotating.expire_access_tokens("alice")
            token = stub.GetSpotifyToken(
                auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=token or "x")
            ).access_token
        assert token
        channel.close()
    finally:
        running.stop()
        rotating.stop()


def test_a_dead_refresh_token_means_spotify_authorization_lost(
    auth: Running, stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, internal_token: str
) -> None:
    user_id = _login(auth, emulator, internal_token)
    held = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id)).access_token
    emulator.revoke_refresh_tokens("alice")
    emulator.expire_access_tokens("alice")
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=held))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ("tapedeck-error-code", "spotify_authorization_lost") in caught.value.trailing_metadata()
    # ...and it stays lost without asking Spotify again, until the user logs in again.
    with pytest.raises(grpc.RpcError):
        stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id))
    assert _login(auth, emulator, internal_token) == user_id
    assert stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id)).access_token


def test_concurrent_refreshes_make_one_call_to_spotify(
    auth: Running, stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, internal_token: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    user_id = _login(auth, emulator, internal_token)
    stale = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id)).access_token
    emulator.expire_access_tokens("alice")
    before = emulator.stats()["accounts"].get("POST /api/token", 0)
    request = auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=stale)
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: stub.GetSpotifyToken(request).access_token, range(8)))
    assert len(tokens) == 1
    assert emulator.stats()["accounts"].get("POST /api/token", 0) == before + 1


def test_unknown_user_has_no_token(stub: auth_pb2_grpc.AuthServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id="nobody"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_stopping_server_finishes_what_it_started(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> None:
    running = start_auth(emulator, sqlite_database_url, tmp_path, internal_token)
    began = time.monotonic()
    running.stop(grace=2)
    assert time.monotonic() - began < 3


def test_stored_tokens_that_no_longer_open_mean_spotify_authorization_lost(
    auth: Running,
    emulator: Emulator,
    database_url: str,
    tmp_path: Path,
    internal_token: str,
) -> None:
    # The encryption key was replaced (a lost data dir, a new secret): the stored Spotify
    # tokens cannot be opened, so the user must log in again; the answer comes, it does
    # not hang on the credentials row it holds while reading them.
    from cryptography.fernet import Fernet

    user_id = _login(auth, emulator, internal_token)
    auth.stop()
    rekeyed = start_auth(
        emulator,
        database_url,
        tmp_path,
        internal_token,
        token_encryption_key=Fernet.generate_key().decode(),
    )
    channel = open_channel(rekeyed.address, internal_token, timeout=10)
    try:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        trailers = caught.value.trailing_metadata()
        assert ("tapedeck-error-code", "spotify_authorization_lost") in trailers
        user = stub.GetUser(auth_pb2.GetUserRequest(user_id=user_id))
        assert user.spotify_authorization_lost
    finally:
        channel.close()
        rekeyed.stop()
