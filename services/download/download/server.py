"""Wiring only: the download servicer on a kit server."""

from __future__ import annotations

from tapedeck.download.v1 import download_pb2, download_pb2_grpc

from download.servicer import DownloadServicer
from kit.server import Registration, Served, create_server, method_path
from kit.tls import GrpcTls

SERVICE = download_pb2.DESCRIPTOR.services_by_name["DownloadService"]

# Which tracks a user has downloaded, and where (the exports), and the jobs (the API): only
# the gateway asks.
CALLERS = {
    method_path(SERVICE, method): ("gateway",)
    for method in ("ListDownloaded", "Enqueue", "ListJobs", "GetJob", "DeleteJob", "ReadFile")
}


def create_download_server(
    servicer: DownloadServicer, address: str, internal_token: str, *, tls: GrpcTls | None = None
) -> Served:
    return create_server(
        address,
        [Registration(SERVICE, download_pb2_grpc.add_DownloadServiceServicer_to_server, servicer)],
        internal_token=internal_token,
        callers=CALLERS,
        tls=tls,
    )
