"""The gateway application: routes, error mapping, middleware, backends per event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import errors, openapi
from gateway.backends import open_backends
from gateway.middleware import BodyLimit
from gateway.observe import Observe
from gateway.routes import auth, health, home, library, saves, tokens
from gateway.sessions import Sessions
from gateway.settings import GatewaySettings
from gateway.streams import OpenStreams
from gateway.watcher import RevocationWatcher
from kit.credentials import Credential


def create_app(settings: GatewaySettings, internal_token: Credential | str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = app.state.backends = open_backends(settings, internal_token)
        sessions = app.state.sessions = Sessions(backends.auth)
        watcher = RevocationWatcher(backends.auth, sessions)
        # The gateway starts without keys when the auth service is down: until it has them
        # (and the revocation stream is caught up), it asks the auth service per request.
        await sessions.fetch_keys()
        watcher.start()
        try:
            yield
        finally:
            await watcher.stop()
            await backends.close()

    app = FastAPI(
        title="Tapedeck",
        version="0.1.0",
        description="Keep your Spotify library safe and portable (see docs/api.md).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.streams = OpenStreams()
    errors.install(app)
    openapi.install(app)
    for module in (home, health, auth, tokens, saves, library):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Observe)
    return app
