"""A process's own metrics: a registry per server (several may share one process, as in
tests) and an HTTP endpoint serving it in Prometheus text format, on the address
TAPEDECK_<SERVICE>_METRICS_ADDR names; none when it is unset."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


def split_address(address: str) -> tuple[str, int]:
    """`host:port`, `[v6 host]:port` or `:port` (every interface) as (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"not host:port: {address!r}")
    host = host.removeprefix("[").removesuffix("]")
    return host or "0.0.0.0", int(port)


class MetricsSettings(BaseSettings):
    """Where each server serves its metrics: TAPEDECK_<SERVICE>_METRICS_ADDR, off when unset.
    Every process may read every name, so each needs a name of its own."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    library_metrics_addr: str | None = None
    playlist_metrics_addr: str | None = None
    track_metrics_addr: str | None = None
    album_metrics_addr: str | None = None
    artist_metrics_addr: str | None = None

    @field_validator(
        "library_metrics_addr",
        "playlist_metrics_addr",
        "track_metrics_addr",
        "album_metrics_addr",
        "artist_metrics_addr",
    )
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value:
            split_address(value)
        return value or None

    def metrics_addr(self, service: str) -> str | None:
        value: str | None = getattr(self, f"{service}_metrics_addr")
        return value


def new_registry() -> CollectorRegistry:
    """A registry holding the process's CPU, memory, file descriptor, Python and garbage
    collector metrics; a server adds its own."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


@dataclass
class MetricsEndpoint:
    """An HTTP server answering every GET with the registry's metrics, on its own thread."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(address: str, registry: CollectorRegistry) -> MetricsEndpoint:
    """Serves `registry` at http://`address`/metrics (port 0: a free one, see `.port`)."""
    host, port = split_address(address)
    server, thread = start_http_server(port, host, registry)
    endpoint = MetricsEndpoint(server, thread)
    log.info("serving metrics", extra={"host": host, "port": endpoint.port})
    return endpoint
