"""What the gateway remembers to answer fast, and when it must forget: a token's verified
signature (checked once, then only its expiry and revocation on every use; forgotten when the
auth service's keys change) and /me's stored profile (forgotten on every login of the user
and on a lost Spotify authorization). Real auth service, real gateways, the emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import start_auth
from teststack.gateway import RunningGateway, gateway_settings
from teststack.login import login
from teststack.running import Running

from gateway.keys import KeyRing, UnknownKey
from kit import errors
from kit.channels import open_channel
from spotify_emulator import Emulator


@dataclass
class Stack:
    emulator: Emulator
    auth: Running
    gateway: RunningGateway
    replica: RunningGateway
    data_dir: Path
    database_url: str
    internal_token: str


@pytest.fixture
def stack(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Stack]:
    auth = start_auth(emulator, sqlite_database_url, tmp_path, internal_token)
    gateways = [
        RunningGateway(
            gateway_settings({"auth": auth.address}, data_dir=tmp_path), internal_token
        ).start()
        for _ in range(2)
    ]
    for gateway in gateways:
        gateway.wait_synced()
    running = Stack(
        emulator, auth, gateways[0], gateways[1], tmp_path, sqlite_database_url, internal_token
    )
    yield running
    for gateway in gateways:
        gateway.stop()
    running.auth.stop()


def _me(url: str, token: str) -> requests.Response:
    return requests.get(
        f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _ok(url: str, token: str) -> dict[str, object]:
    answer = _me(url, token)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _refused(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "invalid_token"


def _within_a_second(check: object, url: str, token: str, what: str) -> dict[str, object]:
    """Polls /me until `check(body)` holds; fails after 1 s (the bound the issue sets for
    what one replica learns from another)."""
    began = time.monotonic()
    while True:
        body = _ok(url, token)
        if check(body):  # type: ignore[operator]
            return body
        assert time.monotonic() - began < 1.0, what
        time.sleep(0.01)


def test_a_token_used_many_times_is_refused_at_once_after_logout_on_both_replicas(
    stack: Stack,
) -> None:
    token, other = login(stack.gateway.url, "alice"), login(stack.gateway.url, "alice")
    for _ in range(3):  # checked once, then remembered by both
        _ok(stack.gateway.url, token)
        _ok(stack.replica.url, token)
    out = requests.post(
        f"{stack.gateway.url}/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert out.status_code == 204
    _refused(_me(stack.gateway.url, token))
    began = time.monotonic()
    while (answer := _me(stack.replica.url, token)).status_code == 200:
        assert time.monotonic() - began < 1.0, "the replica still accepts the token after 1 s"
        time.sleep(0.01)
    _refused(answer)
    assert _ok(stack.replica.url, other)["id"] == "alice"


def test_me_after_a_new_login_shows_the_new_profile_on_every_replica(stack: Stack) -> None:
    token = login(stack.gateway.url, "alice")
    for url in (stack.gateway.url, stack.replica.url):
        for _ in range(2):  # the second answer is the remembered one
            assert "country" not in _ok(url, token)
    # Spotify's older shape of the user object carries `country`: a login now stores it.
    stack.emulator.set_mode("legacy")
    login(stack.gateway.url, "alice")
    # The replica that took the login reads it again at once, with the older token too.
    assert "country" in _ok(stack.gateway.url, token)
    # The other learns it from the login's event on its revocation stream.
    _within_a_second(lambda body: "country" in body, stack.replica.url, token, "old profile")


def test_me_says_so_when_spotify_stops_accepting_the_login(stack: Stack) -> None:
    token = login(stack.gateway.url, "alice")
    before = _ok(stack.gateway.url, token)
    assert before["tapedeck"] == {"spotify_authorization_lost": False}
    assert _ok(stack.replica.url, token)["tapedeck"] == {"spotify_authorization_lost": False}

    # A service asks for the user's Spotify token; Spotify refuses the refresh.
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    channel = open_channel(stack.auth.address, stack.internal_token, timeout=10)
    try:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        held = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=user_id))
        stack.emulator.revoke_refresh_tokens("alice")
        stack.emulator.expire_access_tokens("alice")
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetSpotifyToken(
                auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=held.access_token)
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    finally:
        channel.close()

    for url in (stack.gateway.url, stack.replica.url):
        after = _within_a_second(
            lambda body: body["tapedeck"] == {"spotify_authorization_lost": True},
            url,
            token,
            "/me never said the authorization was lost",
        )
        assert {k: v for k, v in after.items() if k != "tapedeck"} == {
            k: v for k, v in before.items() if k != "tapedeck"
        }


def test_a_token_of_a_dropped_key_is_refused_once_the_keys_rotate(stack: Stack) -> None:
    old = login(stack.gateway.url, "alice")
    for _ in range(2):
        _ok(stack.gateway.url, old)
    # The auth service restarts with a new signing key (the old one is no longer published).
    address = stack.auth.address
    stack.auth.stop()
    new_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    stack.auth = start_auth(
        stack.emulator,
        stack.database_url,
        stack.data_dir,
        stack.internal_token,
        address=address,
        jwt_private_key=SecretStr(new_key.decode()),
    )
    stack.gateway.wait_synced()
    new = login(stack.gateway.url, "alice")
    assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
    # The first token of the new key makes the gateway fetch the keys (at most once a
    # second): once it passes, the ring holds only the new key.
    deadline = time.monotonic() + 5
    while (answer := _me(stack.gateway.url, new)).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.05)
    _refused(_me(stack.gateway.url, old))


def _token(key: Ed25519PrivateKey, kid: str, exp: float) -> str:
    claims = {"iss": "i", "aud": "a", "sub": "u", "iat": 1, "exp": int(exp), "jti": "j"}
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_remembered_token_still_expires_and_a_new_ring_forgets_it() -> None:
    now = [time.time()]
    ring = KeyRing(clock=lambda: now[0])
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ring.replace({"k1": _raw(first), "k2": _raw(second)}, "i", "a")
    token = _token(first, "k1", now[0] + 30)
    assert ring.verify(token).user_id == "u"
    assert ring.verify(token).user_id == "u"  # remembered
    # The same keys again change nothing; a ring without k1 refuses the token.
    ring.replace({"k1": _raw(first), "k2": _raw(second)}, "i", "a")
    assert ring.verify(token).token_id == "j"
    ring.replace({"k2": _raw(second)}, "i", "a")
    with pytest.raises(UnknownKey):
        ring.verify(token)
    ring.replace({"k1": _raw(first)}, "i", "a")
    assert ring.verify(token).user_id == "u"
    now[0] += 31
    with pytest.raises(errors.Unauthenticated, match="expired"):
        ring.verify(token)
