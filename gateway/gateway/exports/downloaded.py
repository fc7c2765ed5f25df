"""Which of a user's tracks are downloaded, and where: the download service's answer, for the
iTunes XML's `Location` and the M3U8."""

from __future__ import annotations

from tapedeck.download.v1 import download_pb2

from gateway.backends import Backends
from gateway.exports.itunes import Downloaded, Downloads, File


async def downloads_of(backends: Backends, user_id: str) -> tuple[str, Downloaded]:
    """The downloads folder and a lookup of the user's downloaded tracks. It asks once before
    an export answers, so a download service that is down is a 503 rather than a file cut
    short."""

    async def downloaded(track_ids: list[str]) -> Downloads:
        answer = await backends.download.ListDownloaded(
            download_pb2.ListDownloadedRequest(user_id=user_id, track_ids=track_ids)
        )
        return Downloads(
            answer.downloads_dir,
            {f.track_id: File(f.path, f.format, f.duration_ms) for f in answer.files},
        )

    first = await downloaded([])
    return first.folder, downloaded
