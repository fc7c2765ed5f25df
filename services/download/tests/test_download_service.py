"""The download service over real gRPC: a server on the test's database, real channels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from tapedeck.download.v1 import download_pb2, download_pb2_grpc
from teststack.download import StartedDownload, start_download

from download.downloads import Downloaded
from kit.channels import open_channel
from kit.credentials import credential_for


@pytest.fixture
def service(database_url: str, tmp_path: Path, internal_token: str) -> Iterator[StartedDownload]:
    started = start_download(
        database_url=database_url, data_dir=tmp_path, internal_token=internal_token
    )
    yield started
    started.running.stop()


@contextmanager
def _stub(
    service: StartedDownload, internal_token: str, caller: str
) -> Iterator[download_pb2_grpc.DownloadServiceStub]:
    """A channel calling as `caller`, with its derived credential."""
    channel = open_channel(
        service.running.address, credential_for(internal_token, caller), timeout=10
    )
    try:
        yield download_pb2_grpc.DownloadServiceStub(channel)
    finally:
        channel.close()


def test_the_gateway_is_answered_the_users_finished_downloads(
    service: StartedDownload, internal_token: str, tmp_path: Path
) -> None:
    service.downloads.record("u1", Downloaded("t1", "Ä/é 1.mp3", "mp3", 185_500))
    service.downloads.record("u2", Downloaded("t2", "b.mp3", "mp3", 1000))
    with _stub(service, internal_token, "gateway") as stub:
        answer = stub.ListDownloaded(
            download_pb2.ListDownloadedRequest(user_id="u1", track_ids=["t2", "t1"])
        )
    assert [(f.track_id, f.path, f.format, f.duration_ms) for f in answer.files] == [
        ("t1", "Ä/é 1.mp3", "mp3", 185_500)
    ]
    assert answer.downloads_dir == str((tmp_path / "downloads").resolve())


def test_too_many_ids_are_invalid(service: StartedDownload, internal_token: str) -> None:
    with _stub(service, internal_token, "gateway") as stub, pytest.raises(grpc.RpcError) as refused:
        stub.ListDownloaded(
            download_pb2.ListDownloadedRequest(user_id="u1", track_ids=["t"] * 1001)
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_other_services_may_not_ask(service: StartedDownload, internal_token: str) -> None:
    with _stub(service, internal_token, "library") as stub, pytest.raises(grpc.RpcError) as refused:
        stub.ListDownloaded(download_pb2.ListDownloadedRequest(user_id="u1", track_ids=["t1"]))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
