"""Small, real audio files in the containers YouTube and SoundCloud serve, made without ffmpeg.

For the download service's tests: a machine without ffmpeg (CI's) still tags and reads back
every container mutagen handles. Each builder returns the bytes of a complete, playable
file, written by the container's specification with the standard library only:

- `wav`: a sine wave (PCM, the stdlib `wave` module);
- `flac`: the same sine wave, FLAC with verbatim subframes (lossless, uncompressed);
- `m4a`: the same sine wave, Apple Lossless (ALAC) in MP4, its frames stored "escaped"
  (uncompressed), as Apple's own encoder does for noise it cannot compress;
- `mp3`: MPEG-1 Layer III frames of silence (an encoder is needed for anything else);
- `opus`: Ogg Opus, 20 ms frames of silence (the packet WebRTC and Discord send for it);
- `webm`: the same Opus frames in WebM, which mutagen cannot tag;
- `png`: a small cover image.

Sample counts are exact, so a test can check the duration mutagen reads.
"""

from __future__ import annotations

import functools
import io
import math
import struct
import wave
import zlib

RATE = 44100


def samples(seconds: float, rate: int = RATE, hz: float = 440.0) -> list[int]:
    """A 16-bit mono sine wave at half scale."""
    n = round(seconds * rate)
    return [round(16000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(n)]


def wav(seconds: float, rate: int = RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{round(seconds * rate)}h", *samples(seconds, rate)))
    return out.getvalue()


@functools.cache
def _crc_table(poly: int, width: int) -> tuple[int, ...]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
        table.append(crc)
    return tuple(table)


def _crc(data: bytes, poly: int, width: int) -> int:
    """MSB-first CRC with initial value 0 (FLAC's CRC-8 and CRC-16, Ogg's CRC-32)."""
    table, mask, shift = _crc_table(poly, width), (1 << width) - 1, width - 8
    crc = 0
    for byte in data:
        crc = ((crc << 8) & mask) ^ table[(crc >> shift) ^ byte]
    return crc


FLAC_BLOCK = 4096


def _utf8(n: int) -> bytes:
    """FLAC's frame number coding: UTF-8's scheme, extended to 36 bits."""
    if n < 0x80:
        return bytes([n])
    length = next(k for k in range(2, 8) if n < 1 << (5 * k + 1))
    first = ((0xFF << (8 - length)) & 0xFF) | (n >> (6 * (length - 1)))
    rest = [0x80 | ((n >> (6 * i)) & 0x3F) for i in reversed(range(length - 1))]
    return bytes([first, *rest])


def flac(seconds: float, rate: int = RATE) -> bytes:
    pcm = samples(seconds, rate)
    info = struct.pack(">HH", FLAC_BLOCK, FLAC_BLOCK) + b"\0" * 6  # frame sizes unknown
    # sample rate (20 bits), channels - 1 (3), bits per sample - 1 (5), total samples (36)
    packed = (rate << 44) | (0 << 41) | (15 << 36) | len(pcm)
    info += packed.to_bytes(8, "big") + b"\0" * 16  # MD5 unknown
    out = bytearray(b"fLaC" + bytes([0x80, 0, 0, len(info)]) + info)  # last block, STREAMINFO
    for number, start in enumerate(range(0, len(pcm), FLAC_BLOCK)):
        block = pcm[start : start + FLAC_BLOCK]
        # sync, fixed blocks; block size from the end of the header (16 bits); rate from
        # STREAMINFO; mono; 16 bits per sample; the frame number; the block size - 1.
        header = bytes([0xFF, 0xF8, 0x70, 0x08]) + _utf8(number)
        header += struct.pack(">H", len(block) - 1)
        header += bytes([_crc(header, 0x07, 8)])
        frame = header + b"\x02" + struct.pack(f">{len(block)}h", *block)  # verbatim subframe
        out += frame + struct.pack(">H", _crc(frame, 0x8005, 16))
    return bytes(out)


MP3_SAMPLES = 1152


def mp3(seconds: float) -> bytes:
    # MPEG-1 Layer III, no CRC, 128 kbit/s, 44.1 kHz, no padding, mono: 417 bytes a frame;
    # all-zero side information and main data decode as silence.
    frame = bytes([0xFF, 0xFB, 0x90, 0xC0]) + b"\0" * (144 * 128000 // 44100 - 4)
    return frame * math.ceil(seconds * 44100 / MP3_SAMPLES)


OPUS_FRAME = 960  # 20 ms at 48 kHz
OPUS_PRE_SKIP = 312
OPUS_SILENCE = bytes([0xF8, 0xFF, 0xFE])  # CELT fullband 20 ms, mono: a silent frame


def _ogg_page(packets: list[bytes], granule: int, serial: int, seq: int, flags: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, seq, 0, len(lacing))
    page = bytearray(header + lacing + b"".join(packets))
    page[22:26] = struct.pack("<I", _crc(bytes(page), 0x04C11DB7, 32))
    return bytes(page)


def opus(seconds: float) -> bytes:
    serial = 0x7A9E
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, OPUS_PRE_SKIP, 48000, 0, 0)
    vendor = b"tapedeck tests"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, serial, 0, 0x02), _ogg_page([tags], 0, serial, 1, 0)]
    frames = math.ceil(seconds * 48000 / OPUS_FRAME)
    per_page = 50
    for seq, start in enumerate(range(0, frames, per_page), start=2):
        count = min(per_page, frames - start)
        granule = OPUS_PRE_SKIP + (start + count) * OPUS_FRAME
        last = start + count >= frames
        if last:  # the end trims the final frame to the exact length
            granule = OPUS_PRE_SKIP + round(seconds * 48000)
        pages.append(_ogg_page([OPUS_SILENCE] * count, granule, serial, seq, 0x04 if last else 0))
    return b"".join(pages)


ALAC_FRAME = 4096


def _alac_frame(block: list[int]) -> bytes:
    partial = len(block) < ALAC_FRAME
    # A single-channel element (3 bits), its instance tag (4), unused (12), then: partial
    # frame?, no shift (2 bits), escaped, i.e. uncompressed (1); a partial frame's sample
    # count (32); the samples (16 bits each); the end element (3); zeros to a byte.
    header = (int(partial) << 3) | 1
    bits = 23
    if partial:
        header = (header << 32) | len(block)
        bits += 32
    pcm = int.from_bytes(struct.pack(f">{len(block)}h", *block), "big")
    value = (((header << (16 * len(block))) | pcm) << 3) | 7
    bits += 16 * len(block) + 3
    pad = -bits % 8
    return (value << pad).to_bytes((bits + pad) // 8, "big")


def _atom(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version_flags: int, *children: bytes) -> bytes:
    return _atom(kind, struct.pack(">I", version_flags), *children)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def m4a(seconds: float, rate: int = RATE) -> bytes:
    pcm = samples(seconds, rate)
    frames = [_alac_frame(pcm[i : i + ALAC_FRAME]) for i in range(0, len(pcm), ALAC_FRAME)]
    ftyp = _atom(b"ftyp", b"M4A ", struct.pack(">I", 0), b"M4A mp42isom")
    mdat = _atom(b"mdat", *frames)
    n = len(pcm)
    cookie = struct.pack(">IBBBBBBHIII", ALAC_FRAME, 0, 16, 40, 10, 14, 1, 255, 0, 0, rate)
    entry = _atom(
        b"alac",
        b"\0" * 6 + struct.pack(">H", 1),  # reserved, data reference 1
        struct.pack(">HHIHHHHI", 0, 0, 0, 1, 16, 0, 0, rate << 16),
        _full(b"alac", 0, cookie),
    )
    full, rest = divmod(n, ALAC_FRAME)
    durations = [(full, ALAC_FRAME)] + ([(1, rest)] if rest else [])
    stts = struct.pack(">I", len(durations)) + b"".join(struct.pack(">II", *d) for d in durations)
    stbl = _atom(
        b"stbl",
        _full(b"stsd", 0, struct.pack(">I", 1), entry),
        _full(b"stts", 0, stts),
        _full(b"stsc", 0, struct.pack(">IIII", 1, 1, len(frames), 1)),
        _full(
            b"stsz",
            0,
            struct.pack(">II", 0, len(frames)),
            *(struct.pack(">I", len(f)) for f in frames),
        ),
        _full(b"stco", 0, struct.pack(">II", 1, len(ftyp) + 8)),
    )
    minf = _atom(
        b"minf",
        _full(b"smhd", 0, struct.pack(">HH", 0, 0)),
        _atom(b"dinf", _full(b"dref", 0, struct.pack(">I", 1), _full(b"url ", 1))),
        stbl,
    )
    mdia = _atom(
        b"mdia",
        _full(b"mdhd", 0, struct.pack(">IIIIHH", 0, 0, rate, n, 0x55C4, 0)),
        _full(b"hdlr", 0, struct.pack(">I4s12s", 0, b"soun", b""), b"SoundHandler\0"),
        minf,
    )
    tkhd = struct.pack(">IIIII8sHHHH", 0, 0, 1, 0, n * 1000 // rate, b"", 0, 0, 0x100, 0)
    moov = _atom(
        b"moov",
        _full(
            b"mvhd",
            0,
            struct.pack(">IIIIIH10s", 0, 0, 1000, n * 1000 // rate, 0x10000, 0x100, b""),
            _MATRIX + b"\0" * 24 + struct.pack(">I", 2),
        ),
        _atom(b"trak", _full(b"tkhd", 7, tkhd + _MATRIX + struct.pack(">II", 0, 0)), mdia),
    )
    return ftyp + mdat + moov


def _ebml(element_id: int, *children: bytes) -> bytes:
    body = b"".join(children)
    size = b"\x01" + len(body).to_bytes(7, "big")  # an 8-byte size, valid for any length
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + size + body


def _uint(element_id: int, value: int) -> bytes:
    return _ebml(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _float(element_id: int, value: float) -> bytes:
    return _ebml(element_id, struct.pack(">d", value))


CLUSTER_FRAMES = 1000  # 20 s: a block's time is a signed 16-bit offset in ms from its cluster


def webm(seconds: float) -> bytes:
    """Opus silence in WebM (Matroska), what YouTube's `bestaudio` often is; mutagen cannot
    tag this container."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, OPUS_PRE_SKIP, 48000, 0, 0)
    header = _ebml(
        0x1A45DFA3,
        *(_uint(i, v) for i, v in ((0x4286, 1), (0x42F7, 1), (0x42F2, 4), (0x42F3, 8))),
        _ebml(0x4282, b"webm"),
        _uint(0x4287, 4),
        _uint(0x4285, 2),
    )
    info = _ebml(
        0x1549A966,
        _uint(0x2AD7B1, 1_000_000),  # timestamps in ms
        _ebml(0x4D80, b"tapedeck tests"),
        _ebml(0x5741, b"tapedeck tests"),
        _float(0x4489, seconds * 1000),
    )
    track = _ebml(
        0xAE,
        _uint(0xD7, 1),
        _uint(0x73C5, 1),
        _uint(0x83, 2),  # audio
        _ebml(0x86, b"A_OPUS"),
        _ebml(0x63A2, head),
        _uint(0x56AA, OPUS_PRE_SKIP * 1_000_000_000 // 48000),
        _uint(0x56BB, 80_000_000),
        _ebml(0xE1, _float(0xB5, 48000.0), _uint(0x9F, 1)),
    )
    frames = math.ceil(seconds * 48000 / OPUS_FRAME)
    clusters = []
    for start in range(0, frames, CLUSTER_FRAMES):
        blocks = [
            _ebml(0xA3, bytes([0x81]) + struct.pack(">hB", (i - start) * 20, 0x80) + OPUS_SILENCE)
            for i in range(start, min(frames, start + CLUSTER_FRAMES))
        ]
        clusters.append(_ebml(0x1F43B675, _uint(0xE7, start * 20), *blocks))
    return header + _ebml(0x18538067, info, _ebml(0x1654AE6B, track), *clusters)


def png(width: int = 2, height: int = 2) -> bytes:
    """A small red PNG: a real cover image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
