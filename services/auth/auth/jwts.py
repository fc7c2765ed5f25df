"""Tapedeck's JWTs: EdDSA-signed, with iss, aud, sub, iat, exp and jti."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit import errors

AUDIENCE = "tapedeck"
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Claims:
    user_id: str
    token_id: str
    expires_at: int


class JwtIssuer:
    def __init__(self, key: Ed25519PrivateKey, issuer: str, ttl_s: int) -> None:
        self._key = key
        self._public = key.public_key()
        self._issuer = issuer
        self._ttl = ttl_s

    @property
    def ttl_s(self) -> int:
        return self._ttl

    def issue(self, user_id: str, now: int) -> str:
        claims = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": user_id,
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Claims:
        """The token's claims; any flaw (format, algorithm, signature, claims, expiry) is
        Unauthenticated. Only EdDSA is accepted, so `alg: none` and HS256 tricks fail."""
        try:
            claims = jwt.decode(
                token,
                self._public,
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
