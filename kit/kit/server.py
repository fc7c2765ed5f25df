"""Building a gRPC server apart from running it: tests bind port 0, __main__ runs it."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from types import FrameType
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kit.interceptors import ServiceInterceptor
from kit.tls import GrpcTls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """A servicer and how to add it; its name comes from the generated descriptor."""

    descriptor: ServiceDescriptor
    add: Callable[[Any, grpc.Server], None]
    servicer: object


def method_path(descriptor: ServiceDescriptor, method: str) -> str:
    """`/package.Service/Method`, as gRPC names a call, from the generated descriptor."""
    return f"/{descriptor.full_name}/{descriptor.methods_by_name[method].name}"


@dataclass
class Served:
    server: grpc.Server
    port: int
    health: health.HealthServicer
    names: tuple[str, ...]

    def start(self) -> None:
        self.server.start()
        for name in ("", *self.names):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def stop(self, grace: float) -> None:
        """Stop taking calls (probes see NOT_SERVING), let running ones finish for `grace` s."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()


def create_server(
    address: str,
    registrations: Sequence[Registration],
    *,
    internal_token: str,
    max_workers: int = 32,
    callers: Mapping[str, Collection[str]] | None = None,
    tls: GrpcTls | None = None,
) -> Served:
    """A server with the services, health and reflection, bound to `address` (port 0: any).

    `callers` restricts methods (`method_path`) to the named callers (kit.credentials);
    `tls` makes it listen with TLS only (kit.tls)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
        interceptors=[ServiceInterceptor(internal_token, callers)],
        options=[("grpc.so_reuseport", 0)],
    )
    names = tuple(r.descriptor.full_name for r in registrations)
    for r in registrations:
        r.add(r.servicer, server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *names):
        health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    reflection.enable_server_reflection(
        (
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    if tls is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, tls.server_credentials())
    if port == 0:
        raise SystemExit(f"tapedeck: cannot listen on {address}")
    return Served(server=server, port=port, health=health_servicer, names=names)


def run_until_signalled(
    served: Served, grace: float, on_stop: Callable[[], None] | None = None
) -> None:
    """Serve until SIGTERM/SIGINT, then stop gracefully."""
    stopping = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    served.start()
    log.info("serving", extra={"port": served.port, "services": list(served.names)})
    stopping.wait()
    if on_stop is not None:
        on_stop()
    served.stop(grace)
    log.info("stopped")
