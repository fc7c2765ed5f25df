"""Tags written with mutagen into real audio files, read back with mutagen as a player would."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutagen
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus

from download.tags import Tags, UntaggableFormat, cover_mime, write_tags
from teststack import audio_formats

COVER = audio_formats.png()
TAGS = Tags(
    title="夜に駆ける (Into the Night)",
    artists=["YOASOBI", "Ayase"],
    album="THE BOOK",
    album_artist="YOASOBI",
    track_number=3,
    track_total=12,
    disc_number=1,
    disc_total=2,
    date="2021-01-06",
    isrc="JPP302000367",
    spotify_uri="spotify:track:3dPtXHP0oXQ4HCWHsOA9js",
    cover_art=COVER,
)
SECONDS = 1.0

MAKERS: dict[str, Callable[[float], bytes]] = {
    "wav": audio_formats.wav,
    "flac": audio_formats.flac,
    "m4a": audio_formats.m4a,
    "mp3": audio_formats.mp3,
    "opus": audio_formats.opus,
}


def _file(tmp_path: Path, ext: str) -> Path:
    path = tmp_path / f"track.{ext}"
    path.write_bytes(MAKERS[ext](SECONDS))
    return path


def _read_id3(path: Path) -> dict[str, object]:
    audio = mutagen.File(path)
    tags = audio.tags
    assert isinstance(tags, ID3)
    cover = tags.getall("APIC")[0]
    return {
        "title": tags["TIT2"].text[0],
        "artists": list(tags["TPE1"].text),
        "album": tags["TALB"].text[0],
        "album_artist": tags["TPE2"].text[0],
        "track": tags["TRCK"].text[0],
        "disc": tags["TPOS"].text[0],
        "date": str(tags["TDRC"].text[0]),
        "isrc": tags["TSRC"].text[0],
        "uri": tags["TXXX:SPOTIFY_TRACK_URI"].text[0],
        "cover": (cover.mime, cover.type, cover.data),
    }


def _read_vorbis(path: Path) -> dict[str, object]:
    audio = mutagen.File(path)
    assert isinstance(audio, (FLAC, OggOpus))
    tags: Any = audio.tags
    assert tags is not None
    if isinstance(audio, FLAC):
        picture = audio.pictures[0]
    else:
        picture = Picture(base64.b64decode(tags["METADATA_BLOCK_PICTURE"][0]))
    return {
        "title": tags["TITLE"][0],
        "artists": list(tags["ARTIST"]),
        "album": tags["ALBUM"][0],
        "album_artist": tags["ALBUMARTIST"][0],
        "track": f"{tags['TRACKNUMBER'][0]}/{tags['TRACKTOTAL'][0]}",
        "disc": f"{tags['DISCNUMBER'][0]}/{tags['DISCTOTAL'][0]}",
        "date": tags["DATE"][0],
        "isrc": tags["ISRC"][0],
        "uri": tags["SPOTIFY_TRACK_URI"][0],
        "cover": (picture.mime, picture.type, picture.data),
    }


def _read_mp4(path: Path) -> dict[str, object]:
    audio = MP4(path)
    tags = audio.tags
    assert tags is not None
    (track, tracks), (disc, discs) = tags["trkn"][0], tags["disk"][0]
    cover = tags["covr"][0]
    return {
        "title": tags["\xa9nam"][0],
        "artists": list(tags["\xa9ART"]),
        "album": tags["\xa9alb"][0],
        "album_artist": tags["aART"][0],
        "track": f"{track}/{tracks}",
        "disc": f"{disc}/{discs}",
        "date": tags["\xa9day"][0],
        "isrc": bytes(tags["----:com.apple.iTunes:ISRC"][0]).decode(),
        "uri": bytes(tags["----:com.apple.iTunes:SPOTIFY_TRACK_URI"][0]).decode(),
        "cover": (
            "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg",
            3,
            bytes(cover),
        ),
    }


READERS = {
    "wav": _read_id3,
    "mp3": _read_id3,
    "flac": _read_vorbis,
    "opus": _read_vorbis,
    "m4a": _read_mp4,
}
EXPECTED = {
    "title": TAGS.title,
    "artists": TAGS.artists,
    "album": "THE BOOK",
    "album_artist": "YOASOBI",
    "track": "3/12",
    "disc": "1/2",
    "date": "2021-01-06",
    "isrc": "JPP302000367",
    "uri": "spotify:track:3dPtXHP0oXQ4HCWHsOA9js",
    "cover": ("image/png", 3, COVER),
}


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_every_field_reads_back_and_the_audio_is_untouched(ext: str, tmp_path: Path) -> None:
    path = _file(tmp_path, ext)
    length = mutagen.File(path).info.length
    write_tags(path, TAGS)
    assert READERS[ext](path) == EXPECTED
    assert mutagen.File(path).info.length == pytest.approx(length)
    assert length == pytest.approx(SECONDS, abs=0.03)


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_tagging_again_replaces_the_tags_without_leftovers(ext: str, tmp_path: Path) -> None:
    path = _file(tmp_path, ext)
    write_tags(path, TAGS)
    write_tags(path, Tags(title="Hello", artists=["Adele"]))
    audio = mutagen.File(path)
    assert audio.tags is not None
    # A Vorbis comment block iterates over (key, value) pairs: ask for its keys.
    names = audio.tags.keys()
    keys = {k.split(":")[0] for k in names}
    assert keys in ({"TIT2", "TPE1"}, {"title", "artist"}, {"\xa9nam", "\xa9ART"}), keys
    if isinstance(audio, FLAC):
        assert audio.pictures == []


def test_a_source_file_s_own_tags_are_replaced(tmp_path: Path) -> None:
    path = _file(tmp_path, "opus")
    audio = OggOpus(path)
    assert audio.tags is not None
    audio.tags["TITLE"] = ["Adele - Hello (Official Music Video) [HD]"]
    audio.tags["COMMENT"] = ["uploaded by someone"]
    audio.save()
    write_tags(path, TAGS)
    tags = OggOpus(path).tags
    assert tags is not None
    assert tags["TITLE"] == [TAGS.title] and "COMMENT" not in tags


def test_webm_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "track.webm"
    path.write_bytes(audio_formats.webm(SECONDS))
    before = path.read_bytes()
    with pytest.raises(UntaggableFormat):
        write_tags(path, TAGS)
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"", b"<html>Sign in to confirm you're not a bot</html>"])
def test_a_file_that_is_not_audio_is_refused(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "track.m4a"
    path.write_bytes(content)
    with pytest.raises(UntaggableFormat):
        write_tags(path, TAGS)
    assert path.read_bytes() == content


def test_a_cover_that_is_neither_jpeg_nor_png_is_left_out(tmp_path: Path) -> None:
    path = _file(tmp_path, "m4a")
    write_tags(path, Tags(title="t", artists=["a"], cover_art=b"RIFF\0\0\0\0WEBPVP8 "))
    tags = MP4(path).tags
    assert tags is not None and "covr" not in tags and tags["\xa9nam"] == ["t"]


def test_cover_types_are_told_by_their_bytes() -> None:
    assert cover_mime(COVER) == "image/png"
    assert cover_mime(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert cover_mime(b"GIF89a") is None


ENCODED = {"m4a": ["-c:a", "aac"], "mp3": ["-c:a", "libmp3lame"], "opus": ["-c:a", "libopus"]}


@pytest.mark.parametrize("ext", sorted(ENCODED))
def test_files_encoded_by_ffmpeg_are_tagged_too(ffmpeg: str, ext: str, tmp_path: Path) -> None:
    """Outside CI, skipped without ffmpeg (the same containers, written by hand, are tested
    above); under CI=true it must run (the `ffmpeg` fixture, conftest.py)."""
    source = tmp_path / "sine.wav"
    source.write_bytes(audio_formats.wav(SECONDS))
    path = tmp_path / f"encoded.{ext}"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-i", str(source), *ENCODED[ext], str(path)], check=True
    )
    write_tags(path, TAGS)
    assert READERS[ext](path) == EXPECTED
