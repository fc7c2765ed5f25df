"""Logging set-up, configured once per process: JSON lines on stdout."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

# Libraries whose debug output carries request headers (access tokens): never below WARNING.
_QUIET = ("urllib3", "requests", "httpx", "httpcore", "hpack", "grpc")


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # spotipy logs every 4xx/5xx at ERROR, retries included; kit.spotify.client logs what it
    # does about them, once.
    logging.getLogger("spotipy").setLevel(logging.CRITICAL)
