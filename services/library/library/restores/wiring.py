"""Builds the restore jobs and their servicer (called from library.wiring)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from kit.channels import open_channel
from kit.credentials import credential_for
from kit.database import Database
from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits
from kit.spotify.limiter import SpotifyLimiter
from kit.spotify.rate_store import open_limiter
from kit.spotify.tokens import AuthTokens
from kit.status import error_from_rpc
from kit.tls import GrpcTls
from library.entity_clients import GrpcEntities
from library.kinds import SERVICE_OF
from library.reads import Reads
from library.restores.imports import Imports
from library.restores.jobs import RestoreJobs
from library.restores.servicer import RestoreServicer
from library.restores.store import RestoreStore
from library.settings import LibrarySettings
from library.store import LibraryStore


@dataclass
class Restores:
    servicer: RestoreServicer
    jobs: RestoreJobs
    channels: list[grpc.Channel]
    limiter: SpotifyLimiter | None = None

    def close(self) -> None:
        """Running restores stop after their current request, to resume at the next start."""
        self.jobs.close()
        if self.limiter is not None:
            self.limiter.close()
        for channel in self.channels:
            channel.close()


def build_restores(
    settings: LibrarySettings,
    internal_token: str,
    db: Database,
    *,
    tls: GrpcTls | None = None,
) -> Restores:
    """The restores, on the library's database, with channels of their own to the auth
    service (the user's Spotify token) and the entity services (the saves' objects)."""
    credential = credential_for(internal_token, "library")
    auth = open_channel(settings.auth_addr, credential, settings.rpc_timeout_s, tls=tls)
    channels = {
        kind: open_channel(settings.addr(service), credential, settings.rpc_timeout_s, tls=tls)
        for kind, service in SERVICE_OF.items()
    }
    reads = Reads(LibraryStore(db), GrpcEntities(channels, settings.sync_timeout_s))
    tokens = AuthTokens(auth, settings.rpc_timeout_s)
    # One per process: a 429 pauses every restore, as Spotify limits the whole app.
    gate = SpotifyGate()
    # The app's pace, shared with the entity services' syncs (kit.spotify.limiter).
    limiter = open_limiter(settings.spotify_client_id or "tapedeck", settings.data_dir, settings)
    # A playlist's batches go one at a time (they must land in order); several playlists
    # at once.
    limits = SpotifyLimits(
        concurrency=settings.restore_concurrency, attempts=settings.restore_spotify_attempts
    )

    def client_for(user_id: str) -> SpotifyClient:
        return SpotifyClient(
            api_url=settings.spotify_api_url,
            tokens=tokens.for_user(user_id),
            gate=gate,
            timeout_s=settings.spotify_timeout_s,
            limits=limits,
            limiter=limiter,
            user_id=user_id,
        )

    imports = Imports(db)
    tokens_stub = auth_pb2_grpc.AuthServiceStub(auth)

    def scopes_of(user_id: str) -> frozenset[str]:
        try:
            answer = tokens_stub.GetSpotifyToken(
                auth_pb2.GetSpotifyTokenRequest(user_id=user_id), timeout=settings.rpc_timeout_s
            )
        except grpc.RpcError as exc:
            raise error_from_rpc(exc) from None
        return frozenset(answer.scope.split())

    jobs = RestoreJobs(
        RestoreStore(db),
        reads,
        imports,
        client_for,
        scopes_of=scopes_of,
        extended_quota=settings.spotify_extended_quota,
        workers=settings.restore_workers,
        concurrency=settings.restore_concurrency,
        retry_for_s=settings.restore_retry_s,
        # Restores hold leases as saves do (TAPEDECK_SAVE_LEASE_S), so replicas share them.
        lease_s=settings.save_lease_s,
    )
    jobs.recover()
    jobs.keep_leases()
    return Restores(
        RestoreServicer(jobs, imports), jobs, [auth, *channels.values()], limiter=limiter
    )
