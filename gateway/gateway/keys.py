"""The public keys that verify Tapedeck's JWTs, by `kid`, and the check of a JWT against them
(signature, algorithm, issuer, audience, expiry). Imports no gRPC: sessions.py fetches.

A token's signature is checked once: its verified claims are remembered by the token's
digest (a bounded LRU, forgotten whenever the keys change), and only its expiry is checked
again on each later use. Revocation is not this module's: sessions.py checks it every time."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kit import errors

# The only algorithm accepted, whatever a token's header says: `alg: none` and HS256 signed
# with the public key's bytes are refused before any key is used.
ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti"]
# Verified tokens remembered at most (about 200 bytes each).
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Claims:
    user_id: str
    token_id: str
    expires_at: float


class UnknownKey(Exception):
    """The token names a key this ring does not hold (yet): fetch the keys again."""


def key_id(token: str) -> str:
    """The `kid` of a JWT's header; a token that has none cannot be checked."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise errors.Unauthenticated("the token is not valid") from None
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise errors.Unauthenticated("the token is not valid")
    if header.get("alg") != ALGORITHM:
        raise errors.Unauthenticated("the token is not valid")
    return kid


class KeyRing:
    def __init__(
        self, clock: Callable[[], float] = time.time, cache_size: int = VERIFIED_CACHE_SIZE
    ) -> None:
        self._clock = clock
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._raw: dict[str, bytes] = {}
        self._issuer = ""
        self._audience = ""
        self._cache_size = cache_size
        # The digest of a token whose signature and claims were verified -> its claims.
        self._verified: OrderedDict[bytes, Claims] = OrderedDict()

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    def replace(self, keys: Mapping[str, bytes], issuer: str, audience: str) -> None:
        """The auth service's keys now (raw 32-byte Ed25519 public keys by `kid`). A change
        forgets every verified token: one signed with a dropped key is checked (and refused)
        again."""
        raw = dict(keys)
        if raw == self._raw and (issuer, audience) == (self._issuer, self._audience):
            return
        self._verified.clear()
        self._keys = {kid: Ed25519PublicKey.from_public_bytes(key) for kid, key in raw.items()}
        self._raw = raw
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Claims:
        """The token's claims; UnknownKey when its `kid` is not held, Unauthenticated for
        every other flaw."""
        digest = hashlib.blake2b(token.encode(), digest_size=32).digest()
        known = self._verified.get(digest)
        if known is not None:
            # As PyJWT checks `exp` (no leeway): expired from the second it names.
            if known.expires_at <= self._clock():
                del self._verified[digest]
                raise errors.Unauthenticated("the token has expired")
            self._verified.move_to_end(digest)
            return known
        claims = self._check(token)
        self._verified[digest] = claims
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return claims

    def _check(self, token: str) -> Claims:
        key = self._keys.get(key_id(token))
        if key is None:
            raise UnknownKey
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise errors.Unauthenticated("the token has expired") from None
        except jwt.PyJWTError:
            raise errors.Unauthenticated("the token is not valid") from None
        user_id, token_id = claims["sub"], claims["jti"]
        if not isinstance(user_id, str) or not isinstance(token_id, str):
            raise errors.Unauthenticated("the token is not valid")
        return Claims(user_id=user_id, token_id=token_id, expires_at=float(claims["exp"]))
