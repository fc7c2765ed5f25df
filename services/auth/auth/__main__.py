"""python -m auth: read settings, build the real parts, serve until signalled."""

from __future__ import annotations

from auth.server import create_auth_server
from auth.settings import AuthSettings
from auth.wiring import build
from kit.logs import setup_logging
from kit.secrets import internal_token
from kit.server import run_until_signalled
from kit.settings import load_settings


def main() -> None:
    settings = load_settings(AuthSettings)
    setup_logging("auth", settings.log_level)
    servicer, db = build(settings)
    served = create_auth_server(servicer, settings.auth_addr, internal_token(settings))

    def stop() -> None:
        servicer.close()  # open revocation watches end now, not at the grace period's end
        db.dispose()

    run_until_signalled(served, settings.grace_s, on_stop=stop)


if __name__ == "__main__":
    main()
