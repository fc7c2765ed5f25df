"""JWT issue and verification: anything but a well-formed, EdDSA-signed, unexpired token of
ours for our audience is refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth.jwts import AUDIENCE, JwtIssuer
from kit import errors

ISSUER = "http://127.0.0.1:8000"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def issuer(key: Ed25519PrivateKey) -> JwtIssuer:
    return JwtIssuer(key, ISSUER, ttl_s=3600)


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u1",
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_issued_token_verifies_with_its_user_and_id(issuer: JwtIssuer) -> None:
    token = issuer.issue("user-1", int(time.time()))
    claims = issuer.verify(token)
    assert claims.user_id == "user-1"
    assert len(claims.token_id) == 32


def test_every_issued_token_has_a_distinct_id(issuer: JwtIssuer) -> None:
    now = int(time.time())
    assert (
        issuer.verify(issuer.issue("u", now)).token_id
        != issuer.verify(issuer.issue("u", now)).token_id
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda key: "", id="empty"),
        pytest.param(lambda key: "garbage", id="garbage"),
        pytest.param(lambda key: "a.b.c", id="three-garbage-parts"),
        pytest.param(
            lambda key: jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA"),
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda key: jwt.encode(_claims(exp=int(time.time()) - 10), key, algorithm="EdDSA"),
            id="expired",
        ),
        pytest.param(
            lambda key: jwt.encode(_claims(aud="someone-else"), key, algorithm="EdDSA"),
            id="wrong-audience",
        ),
        pytest.param(
            lambda key: jwt.encode(_claims(iss="https://evil.example"), key, algorithm="EdDSA"),
            id="wrong-issuer",
        ),
        pytest.param(
            lambda key: jwt.encode(_claims(jti=None), key, algorithm="EdDSA"),
            id="no-jti",
        ),
        pytest.param(
            lambda key: jwt.encode(_claims(sub=None), key, algorithm="EdDSA"),
            id="no-sub",
        ),
        pytest.param(
            lambda key: (
                _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
                + "."
                + _b64(json.dumps(_claims()).encode())
                + "."
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda key: _hs256_with_public_key(key),
            id="hs256-signed-with-the-public-key",
        ),
    ],
)
def test_bad_tokens_are_refused(
    issuer: JwtIssuer, key: Ed25519PrivateKey, forge: Callable[[Ed25519PrivateKey], str]
) -> None:
    with pytest.raises(errors.Unauthenticated):
        issuer.verify(forge(key))


def _hs256_with_public_key(key: Ed25519PrivateKey) -> str:
    """The classic algorithm-confusion attack: HMAC keyed with the (public) verification key."""
    import hashlib
    import hmac

    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(_claims()).encode())
    signature = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"
