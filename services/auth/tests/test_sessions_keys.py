"""Login JWTs over real gRPC: the header names its key, GetPublicKeys hands out that key, and
Authenticate refuses every token that is not exactly one of ours."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import complete_login, start_auth
from teststack.running import Running

from spotify_emulator import Emulator

ISSUER = "http://127.0.0.1:8000"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def auth(
    emulator: Emulator,
    sqlite_database_url: str,
    tmp_path: Path,
    internal_token: str,
    key: Ed25519PrivateKey,
) -> Iterator[Running]:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    running = start_auth(
        emulator, sqlite_database_url, tmp_path, internal_token, jwt_private_key=pem
    )
    yield running
    running.stop()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _kid(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(hashlib.sha256(raw).digest()[:12])


def _claims(user_id: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": "tapedeck",
        "sub": user_id,
        "iat": now,
        "exp": now + 600,
        "jti": "f" * 32,
    }
    claims.update(overrides)
    return claims


def _signed(key: Ed25519PrivateKey, claims: dict[str, object], kid: str | None = None) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid or _kid(key)})


def _unsigned(key: Ed25519PrivateKey, claims: dict[str, object]) -> str:
    head = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": _kid(key)}).encode())
    return f"{head}.{_b64(json.dumps(claims).encode())}."


def _hs256_with_the_public_key(key: Ed25519PrivateKey, claims: dict[str, object]) -> str:
    """Algorithm confusion: an HMAC keyed with the (public) verification key, in both of the
    forms a verifier might hold it."""
    public = key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": _kid(key)}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def test_a_login_token_names_its_key_and_the_published_key_verifies_it(
    stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator
) -> None:
    done = complete_login(stub, emulator, "alice")
    keys = stub.GetPublicKeys(auth_pb2.GetPublicKeysRequest())
    assert keys.issuer == ISSUER and keys.audience == "tapedeck"
    assert [(k.alg, len(k.public_key)) for k in keys.keys] == [("EdDSA", 32)]
    header = jwt.get_unverified_header(done.token)
    assert header["alg"] == "EdDSA" and header["kid"] == keys.keys[0].kid
    public = Ed25519PublicKey.from_public_bytes(keys.keys[0].public_key)
    claims = jwt.decode(
        done.token, public, algorithms=["EdDSA"], audience="tapedeck", issuer=ISSUER
    )
    assert claims["sub"] == done.user_id


def test_a_token_of_ours_made_with_the_key_authenticates(
    stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, key: Ed25519PrivateKey
) -> None:
    """The forgeries below differ from this one in one point each."""
    user_id = complete_login(stub, emulator, "alice").user_id
    answer = stub.Authenticate(auth_pb2.AuthenticateRequest(token=_signed(key, _claims(user_id))))
    assert answer.user_id == user_id and answer.kind == auth_pb2.TOKEN_KIND_LOGIN


FORGERIES: dict[str, Callable[[Ed25519PrivateKey, str], str]] = {
    "signed-by-another-key": lambda key, user: _signed(Ed25519PrivateKey.generate(), _claims(user)),
    "another-key-claiming-our-kid": lambda key, user: _signed(
        Ed25519PrivateKey.generate(), _claims(user), kid=_kid(key)
    ),
    "unknown-kid": lambda key, user: _signed(key, _claims(user), kid="not-a-key-of-ours"),
    "no-kid": lambda key, user: jwt.encode(_claims(user), key, algorithm="EdDSA"),
    "alg-none": lambda key, user: _unsigned(key, _claims(user)),
    "hs256-with-the-public-key": lambda key, user: _hs256_with_the_public_key(key, _claims(user)),
    "wrong-issuer": lambda key, user: _signed(key, _claims(user, iss="https://evil.example")),
    "wrong-audience": lambda key, user: _signed(key, _claims(user, aud="someone-else")),
    "expired": lambda key, user: _signed(key, _claims(user, exp=int(time.time()) - 5)),
    "truncated": lambda key, user: _signed(key, _claims(user))[:-10],
    "no-signature": lambda key, user: _signed(key, _claims(user)).rsplit(".", 1)[0] + ".",
    "unknown-user": lambda key, user: _signed(key, _claims("0" * 32)),
    "empty": lambda key, user: "",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_flawed_token_is_refused(
    stub: auth_pb2_grpc.AuthServiceStub,
    emulator: Emulator,
    key: Ed25519PrivateKey,
    forge: Callable[[Ed25519PrivateKey, str], str],
) -> None:
    user_id = complete_login(stub, emulator, "alice").user_id
    with pytest.raises(grpc.RpcError) as caught:
        stub.Authenticate(auth_pb2.AuthenticateRequest(token=forge(key, user_id)))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_user_whose_spotify_authorization_is_lost_still_authenticates_with_the_flag(
    stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator
) -> None:
    done = complete_login(stub, emulator, "alice")
    before = stub.Authenticate(auth_pb2.AuthenticateRequest(token=done.token))
    assert not before.spotify_authorization_lost
    held = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=done.user_id))
    emulator.revoke_refresh_tokens("alice")
    emulator.expire_access_tokens("alice")
    with pytest.raises(grpc.RpcError):
        stub.GetSpotifyToken(
            auth_pb2.GetSpotifyTokenRequest(user_id=done.user_id, rejected_token=held.access_token)
        )
    calls = emulator.stats()["accounts"].get("POST /api/token", 0)
    after = stub.Authenticate(auth_pb2.AuthenticateRequest(token=done.token))
    assert after.user_id == done.user_id and after.spotify_authorization_lost
    assert emulator.stats()["accounts"].get("POST /api/token", 0) == calls  # Spotify not asked
