"""Cover images: a solid-colour PNG per image key, so covers load without the internet."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

_MAX_SIDE = 640


@lru_cache(maxsize=256)
def png(key: str, side: int) -> bytes:
    side = max(1, min(side, _MAX_SIDE))
    colour = bytes.fromhex((key + "808080")[:6]) if _is_hex(key[:6]) else b"\x80\x80\x80"
    row = b"\x00" + colour * side
    data = zlib.compress(row * side, 9)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def parse(name: str) -> tuple[str, int] | None:
    """ "<key>-<size>" as the image URLs carry it."""
    key, _, size = name.rpartition("-")
    if not key or not size.isdigit() or not _is_hex(key):
        return None
    return key, int(size)


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text)
