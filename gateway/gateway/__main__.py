"""python -m gateway: read settings, serve HTTP with uvicorn."""

from __future__ import annotations

from gateway.app import create_app
from gateway.server import GatewayServer, plain_uvicorn_logs, server_config
from gateway.settings import GatewaySettings
from kit.logs import setup_logging
from kit.secrets import internal_token
from kit.settings import load_settings


def main() -> None:
    settings = load_settings(GatewaySettings)
    setup_logging("gateway", settings.log_level)
    plain_uvicorn_logs()
    app = create_app(settings, internal_token(settings))
    GatewayServer(server_config(app, settings), app).run()


if __name__ == "__main__":
    main()
