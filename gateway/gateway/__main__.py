"""python -m gateway: read settings, serve HTTP with uvicorn."""

from __future__ import annotations

from gateway.app import create_app
from gateway.server import GatewayServer, plain_uvicorn_logs, server_config
from gateway.settings import GatewaySettings
from kit.logs import setup_logging
from kit.secrets import caller_credential, keep_files_private
from kit.settings import load_settings
from kit.tls import load_tls


def main() -> None:
    keep_files_private()
    settings = load_settings(GatewaySettings)
    setup_logging("gateway", settings.log_level)
    plain_uvicorn_logs()
    # TAPEDECK_CALLER_CREDENTIAL (make run hands the gateway only that), else derived from
    # the root token.
    credential = caller_credential(settings, "gateway", listening_on=[settings.http_host])
    load_tls(settings)  # a bad TLS setting stops start-up here, not on the first request
    app = create_app(settings, credential)
    GatewayServer(server_config(app, settings), app).run()


if __name__ == "__main__":
    main()
