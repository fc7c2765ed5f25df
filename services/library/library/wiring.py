"""Builds the library service's real parts from settings (used by __main__ and by tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from prometheus_client import CollectorRegistry

from kit.channels import open_channel
from kit.credentials import credential_for
from kit.database import Database, open_database
from kit.metrics import MetricsEndpoint, new_registry, serve_metrics
from kit.tls import GrpcTls
from library.diffs import Diffs
from library.entity_clients import GrpcEntities
from library.kinds import SERVICE_OF
from library.ledger import Backfill, Ledger
from library.ledger_store import LedgerStore
from library.metrics import SaveMetrics
from library.pruning import Pruning, PruningTimer
from library.reads import Reads
from library.retention_store import RetentionStore
from library.runs import SaveRuns
from library.schedule import Scheduler, Schedules
from library.schedule_store import ScheduleStore
from library.servicer import LibraryServicer
from library.settings import LibrarySettings
from library.store import LibraryStore

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass
class Library:
    servicer: LibraryServicer
    runs: SaveRuns
    db: Database
    channels: list[grpc.Channel]
    registry: CollectorRegistry
    # Serving `registry`, when TAPEDECK_LIBRARY_METRICS_ADDR is set.
    metrics_endpoint: MetricsEndpoint | None = None
    # Recording the events of saves made before the ledger, once, at start.
    backfill: Backfill | None = None
    # Pruning every user's saves daily (TAPEDECK_RETENTION_INTERVAL_S).
    pruning_timer: PruningTimer | None = None
    # Starting automatic saves when due (none when TAPEDECK_SCHEDULER=off).
    scheduler: Scheduler | None = None

    def close(self) -> None:
        """Ends running saves (interrupted), then lets go of channels and database, and
        stops serving metrics."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.pruning_timer is not None:
            self.pruning_timer.stop()
        self.runs.close()
        if self.backfill is not None:
            self.backfill.stop()
        for channel in self.channels:
            channel.close()
        self.db.dispose()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.close()


def build(
    settings: LibrarySettings,
    internal_token: str,
    db: Database | None = None,
    *,
    tls: GrpcTls | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Library:
    """`clock`: the time saves are stamped with (tests simulate months of saves)."""
    if db is None:
        db = open_database(settings.url_for("library", settings.data_dir), MIGRATIONS)
    credential = credential_for(internal_token, "library")
    channels = {
        kind: open_channel(settings.addr(service), credential, settings.rpc_timeout_s, tls=tls)
        for kind, service in SERVICE_OF.items()
    }
    store = LibraryStore(db)
    entities = GrpcEntities(channels, settings.sync_timeout_s)
    registry = new_registry()
    ledger = Ledger(entities, LedgerStore(db, store))
    pruning = Pruning(
        store,
        RetentionStore(db),
        entities,
        settings.retention_rule,
        lambda user_id, save_id: runs.get(user_id, save_id),
    )
    runs = SaveRuns(
        store,
        entities,
        clock=clock,
        after_end=lambda save: pruning.prune(save.user_id),
        write_interval_s=settings.progress_write_interval_s,
        max_running_saves=settings.max_running_saves,
        spotify_concurrency=settings.spotify_concurrency,
        events=SaveMetrics(registry),
        full_save_cooldown_s=settings.full_save_cooldown_s,
        ledger=ledger,
        lease_s=settings.save_lease_s,
    )
    runs.recover()
    runs.keep_leases()
    backfill = Backfill(ledger).start()
    schedules = Schedules(
        ScheduleStore(db),
        lambda user_id: runs.start(user_id, (), full=False),
        clock,
        batch=settings.scheduler_batch,
    )
    servicer = LibraryServicer(
        runs,
        Reads(store, entities),
        Diffs(store, entities),
        ledger,
        pruning=pruning,
        schedules=schedules,
    )
    address = settings.metrics_addr("library")
    endpoint = serve_metrics(address, registry) if address else None
    timer = PruningTimer(pruning, settings.retention_interval_s)
    timer.start()
    scheduler = None
    if settings.scheduler == "on":
        scheduler = Scheduler(schedules, settings.scheduler_interval_s)
        scheduler.start()
    return Library(
        servicer,
        runs,
        db,
        list(channels.values()),
        registry,
        endpoint,
        backfill,
        pruning_timer=timer,
        scheduler=scheduler,
    )
