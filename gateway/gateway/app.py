"""The gateway application: routes, error mapping, middleware, backends per event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from gateway import errors, openapi
from gateway.backends import Backends, open_backends
from gateway.cache import ReadCache, of_app
from gateway.middleware import BodyLimit, SecurityHeaders
from gateway.observe import Observe
from gateway.routes import (
    auth,
    docs,
    exports,
    health,
    history,
    imports,
    library,
    restores,
    saves,
    tokens,
    web,
)
from gateway.routes.downloads import router as downloads_router
from gateway.routes.retention import router as retention_router
from gateway.routes.schedule import router as schedule_router
from gateway.sessions import Sessions
from gateway.settings import GatewaySettings
from gateway.streams import ENDED, OpenStreams
from gateway.watcher import RevocationWatcher
from kit.credentials import Credential


class Gateway(FastAPI):
    """FastAPI with the security headers outside even Starlette's outermost error handler,
    which answers a 500 outside every middleware added with `add_middleware`."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: GatewaySettings = self.state.settings
        https = settings.public_url.lower().startswith("https://")
        return SecurityHeaders(super().build_middleware_stack(), hsts=https)


def follow_saves(streams: OpenStreams, cache: ReadCache, backends: Backends) -> None:
    """The read cache hears of every save's change and of the save feed's state, and the
    feed is open from the start (not only from the first event stream)."""
    streams.on_save_changed(
        lambda user_id, save: cache.latest.save_changed(user_id, save.id, save.status in ENDED)
    )
    streams.on_feed(lambda up: cache.latest.stream_up() if up else cache.latest.stream_down())
    streams.start(backends.library)


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
        follow_saves(app.state.streams, of_app(app.state), backends)
        try:
            yield
        finally:
            await watcher.stop()
            await backends.close()

    app = Gateway(
        title="Tapedeck",
        version="0.1.0",
        description="Keep your Spotify library safe and portable (see docs/api.md).",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks, off: the gateway has its metrics and access log
        # (gateway.observe), and asking whether a provider was configured cost every request
        # a look into the environment.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # gateway.routes.docs serves /docs from the gateway's own files; FastAPI's pages
        # load Swagger UI and ReDoc from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.streams = OpenStreams()
    errors.install(app)
    openapi.install(app)
    # Each router's routes go into the app's own list, in the same order: an included
    # router is matched through FastAPI's inclusion layer (every candidate route of every
    # router before it, and its own routes twice), which cost a library read more than
    # its token check (bench/README.md).
    # A router's own prefix or dependencies would be lost this way: the routers have none.
    # web answers `/`: the app when it is built, else the start page (gateway.routes.home).
    for module in (web, health, docs, auth, tokens, saves, library, history, exports, restores):
        if module.router.prefix or module.router.dependencies:
            raise RuntimeError(f"{module.__name__}: a router prefix or dependencies")
        app.router.routes.extend(module.router.routes)
    # Retention and deleting saves (docs/api.md "Retention and schedule").
    app.router.routes.extend(retention_router.routes)
    # Automatic saves (docs/api.md "Automatic saves: the schedule").
    app.router.routes.extend(schedule_router.routes)
    # Imports (docs/api.md "Imports"): plain bodies, no JSON route class; no path overlaps.
    app.router.routes.extend(imports.router.routes)
    # Downloads (docs/api.md "Downloads"), after the others: its paths overlap none of theirs.
    app.router.routes.extend(downloads_router.routes)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        larger={"/api/v1/imports": settings.max_import_bytes},
    )
    app.add_middleware(Observe)
    return app
