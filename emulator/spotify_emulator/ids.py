"""Deterministic identifiers and times: everything derives from the seed, never from
Python's randomised hash() or the clock."""

from __future__ import annotations

import base64
import hashlib
import random
import time
from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
# A Spotify id is 22 base-62 characters; ours end in the entity's index so the id can be
# turned back into the index without a lookup table.
_HASH_CHARS = 16
_INDEX_CHARS = 6


def digest(*parts: object) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()


def number(*parts: object) -> int:
    return int.from_bytes(digest(*parts)[:8], "big")


def rng(*parts: object) -> random.Random:
    # Seeding with bytes is stable across runs and Python versions (unlike hash()).
    return random.Random(digest(*parts))


def base62(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rest = divmod(value, 62)
        chars.append(ALPHABET[rest])
    return "".join(reversed(chars))


_SPACE = 62**_INDEX_CHARS
_SPREAD = 1_000_003  # prime, so coprime with 62**6: multiplying by it is a bijection


def entity_id(seed: int, kind: str, index: int) -> str:
    # A byte per character is slightly uneven over 62 letters, and much cheaper than base
    # conversion of the whole digest; ids only need to look random.
    head = "".join([ALPHABET[b % 62] for b in digest(seed, kind, index)[:_HASH_CHARS]])
    # The index is scrambled so neighbouring entities do not share an obvious suffix.
    return head + base62((index * _SPREAD + _offset(seed, kind)) % _SPACE, _INDEX_CHARS)


@lru_cache(maxsize=1024)
def _offset(seed: int, kind: str) -> int:
    return number(seed, kind, "offset") % _SPACE


def entity_index(seed: int, kind: str, spotify_id: str) -> int | None:
    """The index behind an id made by entity_id, or None if it is not one of ours."""
    if len(spotify_id) != _HASH_CHARS + _INDEX_CHARS or any(c not in _INDEX for c in spotify_id):
        return None
    scrambled = 0
    for c in spotify_id[_HASH_CHARS:]:
        scrambled = scrambled * 62 + _INDEX[c]
    index = (scrambled - _offset(seed, kind)) * pow(_SPREAD, -1, _SPACE) % _SPACE
    return index if entity_id(seed, kind, index) == spotify_id else None


def is_base62(value: str) -> bool:
    return bool(value) and all(c in _INDEX for c in value)


def snapshot_id(seed: int, playlist_id: str, version: int) -> str:
    # Spotify's snapshot ids are opaque base64 strings; ours only change with the version.
    raw = version.to_bytes(4, "big") + digest(seed, "snapshot", playlist_id, version)
    return base64.b64encode(raw).decode()


def iso(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def hex_key(*parts: object) -> str:
    return digest(*parts)[:12].hex()
