"""Refreshes across replicas: two auth servers on one PostgreSQL database, each with its own
locks, and a Spotify that rotates refresh tokens (each refresh retires the one presented)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import login_user, start_auth
from teststack.fixtures import make_emulator
from teststack.running import Running

from kit.channels import open_channel
from spotify_emulator import Emulator

Stub = auth_pb2_grpc.AuthServiceStub


@dataclass
class Replicas:
    emulator: Emulator
    database_url: str
    data_dir: Path
    internal_token: str
    running: list[Running]
    channels: list[grpc.Channel]

    def start(self, **overrides: Any) -> Stub:
        # The same data dir: the replicas share the token encryption and signing keys.
        served = start_auth(
            self.emulator, self.database_url, self.data_dir, self.internal_token, **overrides
        )
        self.running.append(served)
        channel = open_channel(served.address, self.internal_token, timeout=30)
        self.channels.append(channel)
        return auth_pb2_grpc.AuthServiceStub(channel)

    def login(self, user: str = "alice") -> str:
        return login_user(self.running[0].address, self.emulator, user, self.internal_token)


@pytest.fixture
def replicas(
    postgres_databases: Callable[[], str], tmp_path: Path, internal_token: str
) -> Iterator[Replicas]:
    emulator = make_emulator(rotate_refresh_tokens=True)
    found = Replicas(emulator, postgres_databases(), tmp_path, internal_token, [], [])
    yield found
    for channel in found.channels:
        channel.close()
    for served in found.running:
        served.stop()
    emulator.stop()


def _token(stub: Stub, user_id: str, rejected: str = "") -> str:
    answer = stub.GetSpotifyToken(
        auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=rejected)
    )
    return str(answer.access_token)


def _lost(stub: Stub, user_id: str) -> bool:
    answer = stub.GetUser(auth_pb2.GetUserRequest(user_id=user_id))
    return bool(answer.spotify_authorization_lost)


def test_two_replicas_refreshing_one_user_at_once_never_lose_the_authorization(
    replicas: Replicas,
) -> None:
    first, second = replicas.start(), replicas.start()
    user_id = replicas.login()
    token = _token(first, user_id)
    rounds = 5
    refreshes_before = replicas.emulator.stats()["accounts"].get("POST /api/token", 0)
    with ThreadPoolExecutor(16) as pool:
        for _ in range(rounds):
            replicas.emulator.expire_access_tokens("alice")
            # Every caller was refused the same token by Spotify, on either replica.
            callers = [first, second] * 8
            answers = list(pool.map(_token, callers, [user_id] * 16, [token] * 16))
            assert len(set(answers)) == 1 and answers[0] != token
            token = answers[0]
    assert not _lost(first, user_id) and not _lost(second, user_id)
    # One refresh per round between both replicas: the second waited and read the first's.
    refreshes = replicas.emulator.stats()["accounts"].get("POST /api/token", 0)
    assert refreshes - refreshes_before == rounds
    me = requests.get(
        f"{replicas.emulator.api_url}/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert me.status_code == 200


def test_a_refresh_token_refused_for_good_still_marks_the_user_lost(
    replicas: Replicas,
) -> None:
    first, second = replicas.start(), replicas.start()
    user_id = replicas.login()
    held = _token(first, user_id)
    replicas.emulator.revoke_refresh_tokens("alice")
    replicas.emulator.expire_access_tokens("alice")
    with pytest.raises(grpc.RpcError) as caught:
        _token(second, user_id, held)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _lost(first, user_id)


def test_a_wrong_app_secret_is_an_outage_not_a_lost_authorization(
    replicas: Replicas,
) -> None:
    good = replicas.start()
    misconfigured = replicas.start(spotify_client_secret="not-the-app-secret")
    user_id = replicas.login()
    held = _token(good, user_id)
    replicas.emulator.expire_access_tokens("alice")
    with pytest.raises(grpc.RpcError) as caught:
        _token(misconfigured, user_id, held)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert not _lost(good, user_id)
    # Once the secret is right again (here: the other replica), the same login still works.
    assert _token(good, user_id, held) != held
