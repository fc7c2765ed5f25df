"""The gateway checks login tokens itself, against the auth service's public keys: every
way of forging or bending one is 401 invalid_token, while a token made exactly like the
auth service's (the same key, kid and claims) passes. The gateway's revocation stream is
caught up first, so these are the gateway's own checks, not the auth service's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from teststack.fixtures import make_emulator
from teststack.stack import Stack


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_key(stack: Stack) -> Ed25519PrivateKey:
    pem = (stack.data_dir / "keys" / "jwt-ed25519.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


class Forge:
    """Tokens like the auth service's, for a real user, with one thing changed at a time."""

    def __init__(self, stack: Stack) -> None:
        self.key = _signing_key(stack)
        genuine = stack.login()
        self.header = jwt.get_unverified_header(genuine)
        self.claims = jwt.decode(genuine, options={"verify_signature": False})
        self.genuine = genuine

    def token(
        self,
        key: Ed25519PrivateKey | None = None,
        drop: tuple[str, ...] = (),
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        body = {**self.claims, "jti": f"forged-{time.monotonic_ns()}", **claims}
        for name in drop:
            body.pop(name)
        head = {"kid": self.header["kid"], **(headers or {})}
        if "kid" in head and head["kid"] is None:
            del head["kid"]
        return jwt.encode(body, key or self.key, algorithm="EdDSA", headers=head)

    def raw(self, header: dict[str, Any], signature: Callable[[bytes], bytes]) -> str:
        signing_input = (
            f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(self.claims).encode())}"
        )
        return f"{signing_input}.{_b64(signature(signing_input.encode()))}"

    def public_bytes(self, encoding: serialization.Encoding) -> bytes:
        fmt = (
            serialization.PublicFormat.Raw
            if encoding is serialization.Encoding.Raw
            else serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return self.key.public_key().public_bytes(encoding, fmt)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the module: nothing here changes it."""
    emulator = make_emulator()
    running = Stack.start(emulator, tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()
    emulator.stop()


@pytest.fixture(scope="module")
def forge(stack: Stack) -> Forge:
    stack.gateway.wait_synced()
    return Forge(stack)


def _me(stack: Stack, token: str) -> requests.Response:
    return requests.get(
        f"{stack.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _refused(stack: Stack, token: str) -> None:
    answer = _me(stack, token)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == {
        "status": 401,
        "code": "invalid_token",
        "message": answer.json()["error"]["message"],
    }


def test_a_token_made_like_the_auth_services_passes(stack: Stack, forge: Forge) -> None:
    assert _me(stack, forge.genuine).status_code == 200
    assert _me(stack, forge.token()).status_code == 200


def test_a_token_signed_by_another_key_is_refused(stack: Stack, forge: Forge) -> None:
    _refused(stack, forge.token(key=Ed25519PrivateKey.generate()))


def test_an_expired_token_is_refused(stack: Stack, forge: Forge) -> None:
    past = int(time.time()) - 3600
    _refused(stack, forge.token(iat=past, exp=past + 60))


def test_a_token_for_another_audience_is_refused(stack: Stack, forge: Forge) -> None:
    _refused(stack, forge.token(aud="another-app"))


def test_a_token_from_another_issuer_is_refused(stack: Stack, forge: Forge) -> None:
    _refused(stack, forge.token(iss="https://evil.example"))


@pytest.mark.parametrize("claim", ["exp", "sub", "jti", "iss", "aud"])
def test_a_token_without_a_required_claim_is_refused(
    stack: Stack, forge: Forge, claim: str
) -> None:
    _refused(stack, forge.token(drop=(claim,)))


def test_alg_none_is_refused(stack: Stack, forge: Forge) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": forge.header["kid"]}
    _refused(stack, forge.raw(header, lambda _: b""))


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.Raw])
def test_hs256_signed_with_the_public_key_is_refused(
    stack: Stack, forge: Forge, encoding: serialization.Encoding
) -> None:
    secret = forge.public_bytes(encoding)
    header = {"alg": "HS256", "typ": "JWT", "kid": forge.header["kid"]}
    _refused(stack, forge.raw(header, lambda data: hmac.new(secret, data, hashlib.sha256).digest()))


def test_an_unknown_key_id_is_refused(stack: Stack, forge: Forge) -> None:
    for attempt in range(5):  # a key fetch at most once a second: the rest refused at once
        _refused(stack, forge.token(headers={"kid": f"rotated-away-{attempt}"}))


def test_a_token_without_a_key_id_is_refused(stack: Stack, forge: Forge) -> None:
    _refused(stack, forge.token(headers={"kid": None}))


@pytest.mark.parametrize("cut", [1, 10, 43, 87])
def test_a_truncated_token_is_refused(stack: Stack, forge: Forge, cut: int) -> None:
    _refused(stack, forge.genuine[:-cut])


def test_a_token_with_another_signature_part_is_refused(stack: Stack, forge: Forge) -> None:
    head, body, _ = forge.genuine.split(".")
    other = forge.token(sub="someone-else").split(".")[2]
    _refused(stack, f"{head}.{body}.{other}")
