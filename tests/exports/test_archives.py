"""The whole-library zip (docs/api.md "Exports"): the zip writer alone, in milliseconds, then
the route through the whole stack on the emulator."""

from __future__ import annotations

import asyncio
import io
import json
import random
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime

from gateway.exports.archives import CHUNK, Member, json_array, zip_stream

WHEN = datetime(2026, 3, 1, 12, 30, 15)


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _members(*members: tuple[str, list[bytes]]) -> AsyncIterator[Member]:
    for name, parts in members:
        yield name, _chunks(*parts)


def _zip(members: AsyncIterator[Member], large: tuple[str, ...] = ()) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in zip_stream(members, WHEN, large)])

    return asyncio.run(collect())


def test_the_zip_holds_each_member_in_order_with_its_bytes_and_date() -> None:
    data = _zip(
        _members(
            ("liked.csv", [b'"a","b"\n', b'"1","2"\n']),
            ("caf\u00e9 \U0001f3b5.csv", [b"x" * 100_000, b"y"]),
            ("empty.csv", []),
        )
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["liked.csv", "caf\u00e9 \U0001f3b5.csv", "empty.csv"]
        assert archive.read("liked.csv") == b'"a","b"\n"1","2"\n'
        assert archive.read("caf\u00e9 \U0001f3b5.csv") == b"x" * 100_000 + b"y"
        assert archive.read("empty.csv") == b""
        info = archive.getinfo("liked.csv")
        assert info.date_time == (2026, 3, 1, 12, 30, 14)  # zip keeps even seconds
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_a_large_member_is_written_with_zip64_fields_and_still_reads_back() -> None:
    data = _zip(_members(("tracks.json", [b"[]\n"]), ("a.csv", [b"a"])), large=("tracks.json",))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("tracks.json") == b"[]\n"
        assert archive.read("a.csv") == b"a"
    # Zip64's extra field (header id 0x0001) in the large member's local header only.
    assert data.startswith(b"PK\x03\x04")
    name_length, extra_length = int.from_bytes(data[26:28], "little"), data[28:30]
    assert name_length == len("tracks.json")
    assert int.from_bytes(extra_length, "little") > 0


def test_bytes_go_out_before_the_last_member_is_read() -> None:
    """The archive is written as its members arrive: a consumer holds bytes of the first
    member while the second has not been asked for yet."""
    asked: list[str] = []
    out_before_second: list[int] = []
    taken = 0

    async def members() -> AsyncIterator[Member]:
        asked.append("first")
        # Random bytes, which deflate cannot shrink below a chunk.
        noise = random.Random(1).randbytes(4 * CHUNK)
        yield "first.csv", _chunks(*[noise[i : i + 1000] for i in range(0, len(noise), 1000)])
        out_before_second.append(taken)
        asked.append("second")
        yield "second.csv", _chunks(b"z")

    async def consume() -> bytes:
        nonlocal taken
        parts = []
        async for chunk in zip_stream(members(), WHEN):
            taken += len(chunk)
            parts.append(chunk)
        return b"".join(parts)

    data = asyncio.run(consume())
    assert asked == ["first", "second"]
    assert out_before_second[0] > 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("second.csv") == b"z"


def test_json_array_streams_items_into_one_array() -> None:
    async def collect(*items: bytes) -> bytes:
        return b"".join([part async for part in json_array(_chunks(*items))])

    assert json.loads(asyncio.run(collect())) == []
    assert json.loads(asyncio.run(collect(b'{"a": 1}', b"[2]", b'"\\u00e9"'))) == [
        {"a": 1},
        [2],
        "\u00e9",
    ]
