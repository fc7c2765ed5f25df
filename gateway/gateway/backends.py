"""The gRPC services behind the gateway: channels and stubs, built once on the event loop
that serves requests (grpc.aio objects belong to one loop)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2_grpc
from tapedeck.auth.v1 import auth_pb2_grpc
from tapedeck.download.v1 import download_pb2_grpc
from tapedeck.library.v1 import library_pb2_grpc
from tapedeck.restore.v1 import restore_pb2_grpc

from gateway.settings import GatewaySettings
from kit.channels import open_aio_channel
from kit.credentials import Credential
from kit.settings import SERVICES
from kit.tls import load_tls


@dataclass
class Backends:
    auth: auth_pb2_grpc.AuthServiceStub
    library: library_pb2_grpc.LibraryServiceStub
    download: download_pb2_grpc.DownloadServiceStub
    # Served by the library process.
    restore: restore_pb2_grpc.RestoreServiceStub
    health: dict[str, health_pb2_grpc.HealthStub]
    channels: list[grpc.aio.Channel]

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close(grace=None)


def open_backends(settings: GatewaySettings, credential: Credential | str) -> Backends:
    """`credential`: the gateway's own (kit.credentials), or the root token (tests)."""
    tls = load_tls(settings)
    channels = {
        name: open_aio_channel(settings.addr(name), credential, settings.rpc_timeout_s, tls=tls)
        for name in SERVICES
    }
    return Backends(
        auth=auth_pb2_grpc.AuthServiceStub(channels["auth"]),
        library=library_pb2_grpc.LibraryServiceStub(channels["library"]),
        download=download_pb2_grpc.DownloadServiceStub(channels["download"]),
        restore=restore_pb2_grpc.RestoreServiceStub(channels["library"]),
        health={name: health_pb2_grpc.HealthStub(ch) for name, ch in channels.items()},
        channels=list(channels.values()),
    )
