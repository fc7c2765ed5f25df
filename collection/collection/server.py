"""An entity service (playlist, track, album, artist) built the same way for every kind: its
database with the collection tables, its Spotify clients, its gRPC server. A service names
itself, its `Entity`, and any RPCs it adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc

from collection.engine import Collection
from collection.entity import Entity
from collection.servicer import CollectionServicer
from collection.settings import EntitySettings
from collection.store import CollectionStore
from collection.store.sweep import StagedSweeper
from kit.channels import open_channel
from kit.database import Database, open_database
from kit.server import Registration, Served, create_server
from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits
from kit.spotify.tokens import AuthTokens

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

    def close(self) -> None:
        self.sweeper.stop()
        self.channel.close()
        self.db.dispose()


def build(service: EntityService, settings: EntitySettings, token: str) -> Built:
    db = open_database(settings.url_for(service.name, settings.data_dir), MIGRATIONS)
    channel = open_channel(settings.auth_addr, token, settings.rpc_timeout_s)
    tokens = AuthTokens(channel, settings.rpc_timeout_s)
    gate = SpotifyGate()
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
        )

    store = CollectionStore(db)
    collection = Collection(
        service.entity(settings),
        store,
        client_for,
        # Fetch threads: requests in flight are bounded by the client; the pool also
        # covers storing and token calls.
        workers=settings.spotify_concurrency,
    )
    registrations = [
        Registration(
            collection_pb2.DESCRIPTOR.services_by_name["CollectionService"],
            collection_pb2_grpc.add_CollectionServiceServicer_to_server,
            CollectionServicer(collection),
        ),
        *service.extra(collection),
    ]
    sweeper = StagedSweeper(db, settings.staged_max_age_s, settings.staged_sweep_interval_s)
    sweeper.start()
    return Built(collection, registrations, db, channel, sweeper)


def create_entity_server(built: Built, address: str, token: str, workers: int) -> Served:
    return create_server(address, built.registrations, internal_token=token, max_workers=workers)
