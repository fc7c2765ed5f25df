"""gRPC in, logic, gRPC out."""

from __future__ import annotations

from typing import Any

from tapedeck.download.v1 import download_pb2, download_pb2_grpc

from download.downloads import Downloads


class DownloadServicer(download_pb2_grpc.DownloadServiceServicer):
    def __init__(self, downloads: Downloads, downloads_dir: str) -> None:
        self._downloads = downloads
        self._downloads_dir = downloads_dir

    def ListDownloaded(
        self, request: download_pb2.ListDownloadedRequest, context: Any
    ) -> download_pb2.ListDownloadedResponse:
        files = self._downloads.downloaded(request.user_id, list(request.track_ids))
        return download_pb2.ListDownloadedResponse(
            files=[
                download_pb2.DownloadedFile(
                    track_id=f.track_id, path=f.path, format=f.format, duration_ms=f.duration_ms
                )
                for f in files
            ],
            downloads_dir=self._downloads_dir,
        )
