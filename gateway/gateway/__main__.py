"""python -m gateway: read settings, serve HTTP with uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.logs import setup_logging
from kit.secrets import internal_token
from kit.settings import load_settings


def main() -> None:
    settings = load_settings(GatewaySettings)
    setup_logging("gateway", settings.log_level)
    app = create_app(settings, internal_token(settings))
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.grace_s),
    )


if __name__ == "__main__":
    main()
