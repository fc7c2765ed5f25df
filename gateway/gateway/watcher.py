"""One WatchRevocations stream per gateway process, kept open on the app's event loop: its
events go into the sessions' revocations; `caught_up` marks them synced; a broken stream
marks them unsynced at once (requests are then asked of the auth service) and is opened
again after the last event applied."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from gateway.sessions import Sessions

log = logging.getLogger(__name__)

# A stream lives as long as the process; its deadline is only a backstop.
WATCH_TIMEOUT_S = 24 * 3600.0
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 1.0


class RevocationWatcher:
    def __init__(self, stub: auth_pb2_grpc.AuthServiceStub, sessions: Sessions) -> None:
        self._stub = stub
        self._sessions = sessions
        self._task: asyncio.Task[None] | None = None
        self._backoff = BACKOFF_MIN_S

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
                log.info("revocation stream ended; opening it again")
            except grpc.RpcError as exc:
                log.info("revocation stream broken", extra={"code": str(exc.code())})  # type: ignore[attr-defined]
            await asyncio.sleep(self._backoff)
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2)

    async def _follow(self) -> None:
        revocations = self._sessions.revocations
        call = self._stub.WatchRevocations(
            auth_pb2.WatchRevocationsRequest(after_sequence=revocations.sequence),
            timeout=WATCH_TIMEOUT_S,
        )
        try:
            async for event in call:
                self._apply(event)
                if event.HasField("caught_up") and not revocations.synced:
                    if not self._sessions.keys.loaded:
                        await self._sessions.fetch_keys()
                    revocations.synced = True
                    self._backoff = BACKOFF_MIN_S
                    log.info("revocations synced", extra={"sequence": revocations.sequence})
        finally:
            revocations.synced = False
            self._sessions.profiles.clear()
            call.cancel()

    def _apply(self, event: auth_pb2.RevocationEvent) -> None:
        revocations = self._sessions.revocations
        change = event.WhichOneof("change")
        if change == "token_revoked":
            revoked = event.token_revoked
            expires_at = revoked.expires_at.seconds if revoked.HasField("expires_at") else None
            revocations.revoke(revoked.token_id, None if expires_at is None else float(expires_at))
            self._sessions.personal.evict(revoked.token_id)
        elif change == "user_authorization":
            user = event.user_authorization
            revocations.set_authorization(user.user_id, user.spotify_authorization_lost)
            # Sent on every login too: the stored profile may have changed.
            self._sessions.profiles.changed(user.user_id)
        elif change == "caught_up":
            revocations.sequence = max(revocations.sequence, event.caught_up.sequence)
            return
        revocations.sequence = max(revocations.sequence, event.sequence)
