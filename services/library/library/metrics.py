"""The library's metrics, on its own registry: saves started, running and ended, and how
long they ran (docs/operations.md "Metrics")."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from library.saves import FAILED, PARTIAL, SUCCEEDED, Save

# From a demo library's few seconds to a large one held up by Spotify's rate limits.
DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)


class SaveMetrics:
    """The `SaveEvents` runs report to, as Prometheus metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._started = Counter(
            "tapedeck_saves_started", "Saves started (accepted, then queued)", registry=registry
        )
        self._ended = Counter(
            "tapedeck_saves_finished", "Saves ended, by status", ["status"], registry=registry
        )
        self._duration = Histogram(
            "tapedeck_save_duration_seconds",
            "Time from a save's start of fetching to its end, by status",
            ["status"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self._running = Gauge("tapedeck_saves_running", "Saves fetching", registry=registry)
        for status in (SUCCEEDED, PARTIAL, FAILED):  # every status shows, at 0 until seen
            self._ended.labels(status)
            self._duration.labels(status)

    def queued(self, save: Save) -> None:
        self._started.inc()

    def started(self, save: Save) -> None:
        self._running.inc()

    def ended(self, save: Save) -> None:
        self._ended.labels(save.status).inc()
        if save.started_at is not None:
            self._running.dec()
            if save.finished_at is not None:
                seconds = (save.finished_at - save.started_at).total_seconds()
                self._duration.labels(save.status).observe(seconds)
