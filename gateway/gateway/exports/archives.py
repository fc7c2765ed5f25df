"""Zip archives written as they are read: `zip_stream` turns members (a name and the chunks
of its content, both arriving over time) into the archive's bytes, and `json_array` and
`json_values` stream JSON arrays of values already encoded, so no file of the archive sits
whole in memory.

The zip is the standard library's `zipfile` writing to a sink that cannot seek: it then
puts each member's sizes and CRC in a data descriptor after its data, and keeps only the
central directory (a few dozen bytes per member) until the end. Streaming-zip libraries
(zipstream-ng, stream-zip) would do the same with a dependency more, and both take only
synchronous iterables (stream-zip's async variant runs them on a thread), where the
gateway's content arrives from gRPC on its event loop."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import datetime

# Bytes gathered before a chunk goes out: large enough that a 100,000-row CSV is not a
# million tiny writes, small enough that the client sees data at once.
CHUNK = 64 * 1024

Member = tuple[str, AsyncIterable[bytes]]


class _Sink:
    """What zipfile writes to: a buffer emptied by `take`. It has no `tell` or `seek`, so
    zipfile treats it as unseekable and never goes back to patch a header."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


async def zip_stream(
    members: AsyncIterable[Member], when: datetime, large: Iterable[str] = ()
) -> AsyncIterator[bytes]:
    """The zip of `members`, in their order, each deflated, dated `when` (naive: as the
    archive's readers will show it). Names in `large` may outgrow 2 GiB and are written
    with Zip64 fields; the others stay plain zip, which every reader opens. Member names
    must already be safe and distinct (gateway.exports.names)."""
    sink = _Sink()
    zip64 = frozenset(large)
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        async for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # rw-r--r--, as a downloaded file would be
            with archive.open(info, "w", force_zip64=name in zip64) as member:
                pending: list[bytes] = []
                size = 0
                async for chunk in chunks:
                    pending.append(chunk)
                    size += len(chunk)
                    if size >= CHUNK:
                        member.write(b"".join(pending))
                        pending.clear()
                        size = 0
                        if sink.size >= CHUNK:
                            yield sink.take()
                if pending:
                    member.write(b"".join(pending))
            if sink.size >= CHUNK:
                yield sink.take()
    rest = sink.take()
    if rest:
        yield rest


async def json_array(pages: AsyncIterable[Sequence[bytes]]) -> AsyncIterator[bytes]:
    """A JSON array of values already encoded, given a page at a time; one value a line."""
    first = True
    async for page in pages:
        if page:
            yield (b"[\n" if first else b",\n") + b",\n".join(page)
            first = False
    yield b"[]" if first else b"\n]"


async def json_values(values: AsyncIterable[AsyncIterable[bytes]]) -> AsyncIterator[bytes]:
    """A JSON array of values that are themselves streamed: each value's pieces join to one
    JSON value (a playlist with its items)."""
    first = True
    async for pieces in values:
        yield b"[\n" if first else b",\n"
        first = False
        async for piece in pieces:
            yield piece
    yield b"[]\n" if first else b"\n]\n"
