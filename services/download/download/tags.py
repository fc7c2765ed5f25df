"""Writing a downloaded file's tags with mutagen, in each container's own convention.

The keys are the ones players and taggers (iTunes, foobar2000, MusicBrainz Picard, Jellyfin)
read: ID3v2.4 frames for MP3 and WAV/AIFF, Vorbis comments for FLAC and Ogg (Opus, Vorbis),
iTunes atoms for MP4/M4A. The Spotify track URI goes into a custom field of each
(`SPOTIFY_TRACK_URI`), so a file can always be traced back to its track.

mutagen cannot tag Matroska/WebM (nor raw AAC or Opus in WebM, what YouTube often serves as
`bestaudio`): `write_tags` raises UntaggableFormat for those rather than leave a file that
looks tagged and is not.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, TSRC, TXXX
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.ogg import OggFileType
from mutagen.wave import WAVE

log = logging.getLogger(__name__)

URI_KEY = "SPOTIFY_TRACK_URI"
# The front cover, in both ID3 and FLAC's picture block numbering.
FRONT_COVER = 3


class UntaggableFormat(Exception):
    """The file is in a container mutagen cannot tag (WebM/Matroska, or not audio at all)."""


@dataclass(frozen=True)
class Tags:
    title: str
    artists: list[str]
    album: str = ""
    album_artist: str = ""
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    # Spotify's release date as it gives it: `1981`, `1981-12` or `1981-12-03`.
    date: str = ""
    isrc: str = ""
    spotify_uri: str = ""
    # The album image's bytes (JPEG or PNG; others are left out: not every container takes them).
    cover_art: bytes | None = field(default=None, repr=False)


def cover_mime(data: bytes) -> str | None:
    """`image/jpeg` or `image/png` from the bytes' signature, None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def write_tags(path: Path, tags: Tags) -> None:
    """Replace the tags of the audio file at `path` with `tags`, in place.

    The container is recognised from the file's content, not its name. Tags the file had
    before (a source's own title, comments) are removed, so what a player shows is the
    Spotify track's. Raises UntaggableFormat when mutagen cannot tag the container.
    """
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as e:
        raise UntaggableFormat(f"{path.name}: not an audio file mutagen reads ({e})") from e
    if audio is None:
        raise UntaggableFormat(f"{path.name}: a container mutagen cannot tag (WebM/Matroska?)")
    mime = cover_mime(tags.cover_art) if tags.cover_art else None
    if tags.cover_art and mime is None:
        log.warning("cover art left out: neither JPEG nor PNG", extra={"file": path.name})
    if isinstance(audio, MP4):
        _write_mp4(audio, tags, mime)
    elif isinstance(audio, (FLAC, OggFileType)):
        _write_vorbis(audio, tags, mime)
    elif isinstance(audio, (MP3, WAVE, AIFF)):
        _write_id3(audio, tags, mime)
    else:
        raise UntaggableFormat(f"{path.name}: tagging {type(audio).__name__} is not supported")


def _number(n: int | None, total: int | None) -> str:
    if not n:
        return ""
    return f"{n}/{total}" if total else str(n)


def _write_id3(audio: MP3 | WAVE | AIFF, tags: Tags, mime: str | None) -> None:
    if audio.tags is None:
        audio.add_tags()
    id3 = audio.tags
    assert isinstance(id3, ID3)
    id3.clear()
    # encoding=3 is UTF-8, which ID3v2.4 (mutagen's default) allows for every frame.
    id3.add(TIT2(encoding=3, text=[tags.title]))
    if tags.artists:
        id3.add(TPE1(encoding=3, text=list(tags.artists)))
    if tags.album:
        id3.add(TALB(encoding=3, text=[tags.album]))
    if tags.album_artist:
        id3.add(TPE2(encoding=3, text=[tags.album_artist]))
    if track := _number(tags.track_number, tags.track_total):
        id3.add(TRCK(encoding=3, text=[track]))
    if disc := _number(tags.disc_number, tags.disc_total):
        id3.add(TPOS(encoding=3, text=[disc]))
    if tags.date:
        id3.add(TDRC(encoding=3, text=[tags.date]))
    if tags.isrc:
        id3.add(TSRC(encoding=3, text=[tags.isrc]))
    if tags.spotify_uri:
        id3.add(TXXX(encoding=3, desc=URI_KEY, text=[tags.spotify_uri]))
    if tags.cover_art and mime:
        id3.add(APIC(encoding=3, mime=mime, type=FRONT_COVER, desc="Cover", data=tags.cover_art))
    audio.save()


def _vorbis_fields(tags: Tags) -> dict[str, list[str]]:
    fields = {
        "TITLE": [tags.title],
        "ARTIST": list(tags.artists),
        "ALBUM": [tags.album],
        "ALBUMARTIST": [tags.album_artist],
        "TRACKNUMBER": [str(tags.track_number or "")],
        "TRACKTOTAL": [str(tags.track_total or "")],
        "DISCNUMBER": [str(tags.disc_number or "")],
        "DISCTOTAL": [str(tags.disc_total or "")],
        "DATE": [tags.date],
        "ISRC": [tags.isrc],
        URI_KEY: [tags.spotify_uri],
    }
    return {k: [v for v in vs if v] for k, vs in fields.items() if any(vs)}


def _picture(tags: Tags, mime: str) -> Picture:
    picture = Picture()
    picture.type = FRONT_COVER
    picture.mime = mime
    picture.desc = "Cover"
    picture.data = tags.cover_art or b""
    return picture


def _write_vorbis(audio: FLAC | OggFileType, tags: Tags, mime: str | None) -> None:
    if audio.tags is None:
        audio.add_tags()
    # A Vorbis comment block, whichever container holds it (mutagen's stubs say less).
    comments: Any = audio.tags
    comments.clear()
    for key, values in _vorbis_fields(tags).items():
        comments[key] = values
    if isinstance(audio, FLAC):
        audio.clear_pictures()
        if tags.cover_art and mime:
            audio.add_picture(_picture(tags, mime))
    elif tags.cover_art and mime:
        # Ogg has no picture block: the FLAC one, base64 in a comment, is the convention.
        block = base64.b64encode(_picture(tags, mime).write()).decode("ascii")
        comments["METADATA_BLOCK_PICTURE"] = [block]
    audio.save()


def _freeform(text: str) -> list[MP4FreeForm]:
    return [MP4FreeForm(text.encode("utf-8"))]


def _write_mp4(audio: MP4, tags: Tags, mime: str | None) -> None:
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    audio.tags.clear()
    values: dict[str, object] = {"\xa9nam": [tags.title]}
    if tags.artists:
        values["\xa9ART"] = list(tags.artists)
    if tags.album:
        values["\xa9alb"] = [tags.album]
    if tags.album_artist:
        values["aART"] = [tags.album_artist]
    if tags.track_number:
        values["trkn"] = [(tags.track_number, tags.track_total or 0)]
    if tags.disc_number:
        values["disk"] = [(tags.disc_number, tags.disc_total or 0)]
    if tags.date:
        values["\xa9day"] = [tags.date]
    if tags.isrc:
        values["----:com.apple.iTunes:ISRC"] = _freeform(tags.isrc)
    if tags.spotify_uri:
        values[f"----:com.apple.iTunes:{URI_KEY}"] = _freeform(tags.spotify_uri)
    if tags.cover_art and mime:
        kind = MP4Cover.FORMAT_PNG if mime == "image/png" else MP4Cover.FORMAT_JPEG
        values["covr"] = [MP4Cover(tags.cover_art, imageformat=kind)]
    for key, value in values.items():
        audio.tags[key] = value
    audio.save()
