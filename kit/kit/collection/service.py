"""An entity service (playlist, track, album, artist) built and run the same way for every
kind: its settings, its database with the collection tables, its Spotify clients, its gRPC
server. A service names itself, its `Kind`, and any RPCs it adds."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from pydantic import Field
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc

from kit.channels import open_channel
from kit.collection.collection import Collection, Kind
from kit.collection.servicer import CollectionServicer
from kit.collection.store import CollectionStore
from kit.collection.sweep import StagedSweeper
from kit.database import Database, open_database
from kit.logs import setup_logging
from kit.secrets import internal_token
from kit.server import Registration, Served, create_server, run_until_signalled
from kit.settings import (
    DatabaseSettings,
    SpotifyConcurrencySettings,
    SpotifySettings,
    TapedeckSettings,
    load_settings,
)
from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits
from kit.spotify.tokens import AuthTokens

# The collection tables' migrations, shared by every entity service (each runs them on its
# own database).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class EntitySettings(
    TapedeckSettings, SpotifySettings, SpotifyConcurrencySettings, DatabaseSettings
):
    # Page size of /playlists/{id}/items: 50 is documented for development-mode apps; 100
    # works for extended-quota apps. A 400 to a limit steps it down on its own.
    spotify_playlist_items_page_size: int = Field(default=50, ge=1, le=100)
    # A Retry-After longer than this fails the sync (rate_limited) instead of waiting.
    spotify_max_retry_after_s: float = Field(default=300, ge=0)
    # Tries of one request that meets 5xx or a dropped connection.
    spotify_attempts: int = Field(default=6, ge=1)
    # Threads serving calls; every running sync holds one.
    rpc_workers: int = Field(default=32, ge=4)
    # Staged listings older than this are what a killed sync left, and are dropped: keep it
    # above the library's TAPEDECK_SYNC_TIMEOUT_S (6 h), the longest a sync may run.
    staged_max_age_s: float = Field(default=7 * 3600, gt=0)
    staged_sweep_interval_s: float = Field(default=3600, gt=0)


@dataclass(frozen=True)
class EntityService:
    name: str
    kind: Callable[[EntitySettings], Kind]
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
        service.kind(settings),
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
    sweeper = StagedSweeper(store, settings.staged_max_age_s, settings.staged_sweep_interval_s)
    sweeper.start()
    return Built(collection, registrations, db, channel, sweeper)


def create_entity_server(built: Built, address: str, token: str, workers: int) -> Served:
    return create_server(address, built.registrations, internal_token=token, max_workers=workers)


def main(service: EntityService) -> None:
    """`python -m <service>`: read settings, build the real parts, serve until signalled."""
    settings = load_settings(EntitySettings)
    setup_logging(service.name, settings.log_level)
    token = internal_token(settings)
    built = build(service, settings, token)
    # A sync parses and drops millions of small JSON objects; with the default thresholds
    # the cyclic collector runs every 700 allocations and took a large share of the CPU.
    # Everything built so far lives as long as the process: keep it out of collections.
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    # The one writer thread gives up the GIL inside every SQLite step and then waits for
    # the fetching threads to hand it back, by default up to 5 ms each time: the writer
    # was busy for nearly the whole sync. A shorter switch interval keeps it fed.
    sys.setswitchinterval(0.0005)
    served = create_entity_server(built, settings.addr(service.name), token, settings.rpc_workers)
    run_until_signalled(served, settings.grace_s)
    built.close()
