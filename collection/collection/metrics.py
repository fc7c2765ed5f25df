"""An entity service's metrics, on its own registry: the Spotify requests its syncs send and
the syncs running (docs/operations.md "Metrics")."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class EntityMetrics:
    def __init__(self, kind: str, registry: CollectorRegistry) -> None:
        self._kind = kind
        self._requests = Counter(
            "tapedeck_spotify_requests",
            "Requests sent to Spotify's Web API, retries included, by route template and "
            "Spotify's status (none: no answer)",
            ["kind", "route", "status"],
            registry=registry,
        )
        self.syncs_running = Gauge(
            "tapedeck_syncs_running", "Syncs running", ["kind"], registry=registry
        ).labels(kind)

    def spotify_request(self, route: str, status: int) -> None:
        """A request was sent to `route` (a template, never an id); Spotify's status, 0 for
        no answer."""
        self._requests.labels(self._kind, route, str(status) if status else "none").inc()
