"""Serving the gateway with uvicorn: its loggers through the process's JSON handler, and the
app told when a shutdown begins."""

from __future__ import annotations

import logging
import socket

import uvicorn
from fastapi import FastAPI

from gateway.settings import GatewaySettings
from gateway.streams import OpenStreams


class GatewayServer(uvicorn.Server):
    """uvicorn's server, ending the open save event streams as its shutdown begins: uvicorn
    waits for open responses until its grace period runs out and then cuts them, and such a
    stream would not end by itself before."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        streams: OpenStreams = self.app.state.streams
        streams.stop()
        await super().shutdown(sockets)


def _without_colour(record: logging.LogRecord) -> bool:
    # uvicorn adds an ANSI-coloured copy of some messages for its own console formatter;
    # a JSON line would carry it as a field.
    record.__dict__.pop("color_message", None)
    return True


def plain_uvicorn_logs() -> None:
    """uvicorn's own loggers go through the root's JSON handler (kit.logs), without colour;
    its access log is off, since gateway.observe writes one line per request that never
    holds a query string."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_colour)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


def server_config(app: FastAPI, settings: GatewaySettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        # Logging is the process's (kit.logs); uvicorn must not configure its own.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.grace_s),
    )
