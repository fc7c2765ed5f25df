"""An entity service (playlist, track, album, artist) built the same way for every kind: its
database with the collection tables, its Spotify clients, its gRPC server. A service names
itself, its `Entity`, and any RPCs it adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from prometheus_client import CollectorRegistry
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc

from collection.engine import Collection
from collection.entity import Entity
from collection.gc import GarbageCollector
from collection.metrics import EntityMetrics
from collection.servicer import CollectionServicer
from collection.settings import EntitySettings
from collection.store import CollectionStore
from collection.store.sweep import StagedSweeper
from kit.channels import open_channel
from kit.credentials import credential_for
from kit.database import Database, open_database
from kit.metrics import MetricsEndpoint, new_registry, serve_metrics
from kit.server import Registration, Served, create_server
from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits
from kit.spotify.limiter import SpotifyLimiter
from kit.spotify.rate_store import open_limiter
from kit.spotify.tokens import AuthTokens
from kit.tls import GrpcTls

# The collection tables' migrations, shared by every entity service (each runs them on its
# own database).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class EntityService:
    name: str
    entity: Callable[[EntitySettings], Entity]
    # RPCs the service adds on top of the collection contract.
    extra: Callable[[Collection], list[Registration]] = field(default=lambda _c: [])


@dataclass
class Built:
    collection: Collection
    registrations: list[Registration]
    db: Database
    channel: grpc.Channel
    sweeper: StagedSweeper
    registry: CollectorRegistry
    # Serving `registry`, when the service was given a metrics address.
    metrics_endpoint: MetricsEndpoint | None = None
    # The app's shared Spotify pace (kit.spotify.limiter).
    limiter: SpotifyLimiter | None = None

    def close(self) -> None:
        self.sweeper.stop()
        if self.limiter is not None:
            self.limiter.close()
        self.channel.close()
        self.db.dispose()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.close()


def build(
    service: EntityService,
    settings: EntitySettings,
    token: str,
    metrics_addr: str | None = None,
    *,
    tls: GrpcTls | None = None,
) -> Built:
    """`token`: the root internal token; the service calls auth as itself (its name, and the
    credential derived for it). `metrics_addr`: where to serve the service's metrics
    (TAPEDECK_<SERVICE>_METRICS_ADDR); None serves none."""
    entity = service.entity(settings)
    registry = new_registry()
    metrics = EntityMetrics(entity.kind, registry)
    db = open_database(settings.url_for(service.name, settings.data_dir), MIGRATIONS)
    channel = open_channel(
        settings.auth_addr,
        credential_for(token, service.name),
        settings.rpc_timeout_s,
        tls=tls,
    )
    tokens = AuthTokens(channel, settings.rpc_timeout_s)
    gate = SpotifyGate()
    # Spotify limits the app, not a user or a process: one pace shared with every service.
    limiter = open_limiter(settings.spotify_client_id or "tapedeck", settings.data_dir, settings)
    limits = SpotifyLimits(
        concurrency=settings.spotify_concurrency,
        attempts=settings.spotify_attempts,
        max_retry_after_s=settings.spotify_max_retry_after_s,
    )

    def client_for(user_id: str) -> SpotifyClient:
        return SpotifyClient(
            api_url=settings.spotify_api_url,
            tokens=tokens.for_user(user_id),
            gate=gate,
            timeout_s=settings.spotify_timeout_s,
            limits=limits,
            on_request=metrics.spotify_request,
            limiter=limiter,
            user_id=user_id,
        )

    store = CollectionStore(db)
    collection = Collection(
        entity,
        store,
        client_for,
        # Fetch threads: requests in flight are bounded by the client; the pool also
        # covers storing and token calls.
        workers=settings.spotify_concurrency,
        metrics=metrics,
    )
    registrations = [
        Registration(
            collection_pb2.DESCRIPTOR.services_by_name["CollectionService"],
            collection_pb2_grpc.add_CollectionServiceServicer_to_server,
            CollectionServicer(collection, GarbageCollector(store, db, settings.staged_max_age_s)),
        ),
        *service.extra(collection),
    ]
    sweeper = StagedSweeper(db, settings.staged_max_age_s, settings.staged_sweep_interval_s)
    sweeper.start()
    endpoint = serve_metrics(metrics_addr, registry) if metrics_addr else None
    return Built(
        collection, registrations, db, channel, sweeper, registry, endpoint, limiter=limiter
    )


def create_entity_server(
    built: Built, address: str, token: str, workers: int, *, tls: GrpcTls | None = None
) -> Served:
    return create_server(
        address, built.registrations, internal_token=token, max_workers=workers, tls=tls
    )
