"""WatchRevocations over real gRPC, on SQLite and PostgreSQL: what happened after a sequence,
then `caught_up`, then each change as it happens, also when another replica on the same
database makes it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, cast

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import auth_settings, login_user, start_auth
from teststack.running import Running

from auth.server import create_auth_server
from auth.wiring import build
from kit.channels import open_channel
from spotify_emulator import Emulator

ISSUER = "http://127.0.0.1:8000"


class Stream(Protocol):
    """A server-streaming call as grpc hands it out: an iterator that can be cancelled."""

    def __iter__(self) -> Iterator[auth_pb2.RevocationEvent]: ...
    def __next__(self) -> auth_pb2.RevocationEvent: ...
    def cancel(self) -> bool: ...


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def auth(
    emulator: Emulator, database_url: str, tmp_path: Path, internal_token: str, pem: str
) -> Iterator[Running]:
    running = start_auth(emulator, database_url, tmp_path, internal_token, jwt_private_key=pem)
    yield running
    running.stop()


def _token(key: Ed25519PrivateKey, user_id: str = "u" * 32) -> tuple[str, str]:
    """A login JWT as the service issues it (its key, its kid), and its id."""
    from auth.jwts import key_id

    now = int(time.time())
    jti = uuid.uuid4().hex
    claims = {"iss": ISSUER, "aud": "tapedeck", "sub": user_id, "iat": now, "exp": now + 600}
    token = jwt.encode(
        {**claims, "jti": jti},
        key,
        algorithm="EdDSA",
        headers={"kid": key_id(key.public_key())},
    )
    return token, jti


def _logout(stub: auth_pb2_grpc.AuthServiceStub, key: Ed25519PrivateKey) -> str:
    token, jti = _token(key)
    stub.Logout(auth_pb2.LogoutRequest(token=token))
    return jti


def _watch(stub: auth_pb2_grpc.AuthServiceStub, after: int = 0) -> Stream:
    return cast(
        Stream,
        stub.WatchRevocations(auth_pb2.WatchRevocationsRequest(after_sequence=after), timeout=30),
    )


def _until_caught_up(stream: Stream) -> tuple[list[auth_pb2.RevocationEvent], int]:
    seen: list[auth_pb2.RevocationEvent] = []
    for event in stream:
        if event.HasField("caught_up"):
            return seen, event.caught_up.sequence
        seen.append(event)
    raise AssertionError("the stream ended before caught_up")


def _revoked(events: list[auth_pb2.RevocationEvent]) -> list[str]:
    return [e.token_revoked.token_id for e in events if e.HasField("token_revoked")]


def test_a_watcher_gets_every_revocation_then_caught_up_then_a_logout_as_it_happens(
    stub: auth_pb2_grpc.AuthServiceStub, key: Ed25519PrivateKey
) -> None:
    before = [_logout(stub, key) for _ in range(3)]
    stream = _watch(stub)
    replayed, sequence = _until_caught_up(stream)
    assert _revoked(replayed) == before
    assert sequence == replayed[-1].sequence
    assert [e.sequence for e in replayed] == sorted({e.sequence for e in replayed})

    live = _logout(stub, key)
    event = next(stream)
    assert event.token_revoked.token_id == live and event.sequence > sequence
    assert event.token_revoked.expires_at.seconds > time.time()
    stream.cancel()


def test_a_watcher_resuming_from_a_sequence_gets_only_what_came_after(
    stub: auth_pb2_grpc.AuthServiceStub, key: Ed25519PrivateKey
) -> None:
    _logout(stub, key)
    first = _watch(stub)
    _, sequence = _until_caught_up(first)
    first.cancel()  # the watcher's connection breaks...
    missed = [_logout(stub, key) for _ in range(2)]  # ...while these happen
    again = _watch(stub, after=sequence)
    replayed, resumed = _until_caught_up(again)
    again.cancel()
    assert _revoked(replayed) == missed
    assert resumed == replayed[-1].sequence


def test_concurrent_logouts_all_reach_a_live_watcher(
    stub: auth_pb2_grpc.AuthServiceStub, key: Ed25519PrivateKey
) -> None:
    """Writers commit in any order; a watcher reading "after the last sequence it saw" must
    still miss none of them."""
    from concurrent.futures import ThreadPoolExecutor

    stream = _watch(stub)
    _until_caught_up(stream)
    with ThreadPoolExecutor(8) as pool:
        jtis = set(pool.map(lambda _: _logout(stub, key), range(40)))
    seen = {next(stream).token_revoked.token_id for _ in range(40)}
    stream.cancel()
    assert seen == jtis


def test_a_logout_on_another_replica_reaches_a_watcher_of_this_one(
    auth: Running,
    stub: auth_pb2_grpc.AuthServiceStub,
    key: Ed25519PrivateKey,
    emulator: Emulator,
    database_url: str,
    tmp_path: Path,
    internal_token: str,
    pem: str,
) -> None:
    other = start_auth(emulator, database_url, tmp_path, internal_token, jwt_private_key=pem)
    channel = open_channel(other.address, internal_token, timeout=10)
    try:
        stream = _watch(stub)
        _until_caught_up(stream)
        token, jti = _token(key)
        auth_pb2_grpc.AuthServiceStub(channel).Logout(auth_pb2.LogoutRequest(token=token))
        assert next(stream).token_revoked.token_id == jti
        stream.cancel()
        with pytest.raises(grpc.RpcError) as caught:  # and this replica refuses it too
            stub.Authenticate(auth_pb2.AuthenticateRequest(token=token))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()
        other.stop()


def test_logins_and_lost_authorizations_reach_watchers_and_a_fresh_watcher_gets_only_the_lost(
    auth: Running,
    stub: auth_pb2_grpc.AuthServiceStub,
    emulator: Emulator,
    internal_token: str,
) -> None:
    stream = _watch(stub)
    _until_caught_up(stream)
    alice = login_user(auth.address, emulator, "alice", internal_token)
    event = next(stream)
    assert event.user_authorization.user_id == alice
    assert not event.user_authorization.spotify_authorization_lost
    bob = login_user(auth.address, emulator, "bob", internal_token)
    assert next(stream).user_authorization.user_id == bob

    held = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=alice)).access_token
    emulator.revoke_refresh_tokens("alice")
    emulator.expire_access_tokens("alice")
    with pytest.raises(grpc.RpcError):
        stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=alice, rejected_token=held))
    lost = next(stream)
    assert (
        lost.user_authorization.user_id,
        lost.user_authorization.spotify_authorization_lost,
    ) == (
        alice,
        True,
    )
    stream.cancel()

    fresh = _watch(stub)
    replayed, _ = _until_caught_up(fresh)
    fresh.cancel()
    # Bob's authorization is as a fresh watcher assumes; only Alice's loss matters to it.
    assert [
        (e.user_authorization.user_id, e.user_authorization.spotify_authorization_lost)
        for e in replayed
    ] == [(alice, True)]


def test_watchers_end_when_the_server_stops_and_beyond_the_limit_are_refused(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> None:
    settings = auth_settings(emulator, sqlite_database_url, tmp_path, revocation_watchers_max=2)
    servicer, db = build(settings)
    served = create_auth_server(servicer, "127.0.0.1:0", internal_token)
    served.start()
    channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
    try:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        streams = [_watch(stub) for _ in range(2)]
        for stream in streams:
            _until_caught_up(stream)
        with pytest.raises(grpc.RpcError) as caught:
            _until_caught_up(_watch(stub))
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

        servicer.close()  # what __main__ does on SIGTERM, before the grace period
        for stream in streams:
            assert list(stream) == []  # ended cleanly (OK), not cut off by the deadline
    finally:
        channel.close()
        served.stop(0)
        db.dispose()
