"""Tapedeck's JWTs: EdDSA-signed, with iss, aud, sub, iat, exp and jti, and the signing key's
`kid` in the header so verifiers (the gateway) can hold several keys while one rotates."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kit import errors

AUDIENCE = "tapedeck"
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Claims:
    user_id: str
    token_id: str
    expires_at: int


@dataclass(frozen=True)
class PublicKey:
    kid: str
    # The raw 32 bytes of an Ed25519 public key.
    raw: bytes


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Derived from the key itself, so every replica with the same key names it alike."""
    digest = hashlib.sha256(raw_public_key(key)).digest()
    return base64.urlsafe_b64encode(digest[:12]).rstrip(b"=").decode()


class JwtIssuer:
    def __init__(self, key: Ed25519PrivateKey, issuer: str, ttl_s: int) -> None:
        self._key = key
        public = key.public_key()
        self._kid = key_id(public)
        self._verifiers = {self._kid: public}
        self._issuer = issuer
        self._ttl = ttl_s

    @property
    def ttl_s(self) -> int:
        return self._ttl

    @property
    def issuer(self) -> str:
        return self._issuer

    def public_keys(self) -> list[PublicKey]:
        return [PublicKey(kid, raw_public_key(key)) for kid, key in self._verifiers.items()]

    def issue(self, user_id: str, now: int) -> str:
        claims = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": user_id,
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})

    def verify(self, token: str) -> Claims:
        """The token's claims; any flaw (format, algorithm, key id, signature, claims, expiry)
        is Unauthenticated. Only EdDSA is accepted, so `alg: none` and HS256 tricks fail."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._verifiers.get(header.get("kid", ""))
            if key is None or header.get("alg") != ALGORITHM:
                raise errors.Unauthenticated("the token is not valid")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["iss", "aud", "sub", "iat", "exp", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise errors.Unauthenticated("the token has expired") from None
        except jwt.PyJWTError:
            raise errors.Unauthenticated("the token is not valid") from None
        return Claims(user_id=claims["sub"], token_id=claims["jti"], expires_at=claims["exp"])
