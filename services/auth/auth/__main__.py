"""python -m auth: read settings, build the real parts, serve until signalled."""

from __future__ import annotations

from auth.server import create_auth_server
from auth.settings import AuthSettings
from auth.wiring import build
from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private
from kit.server import run_until_signalled
from kit.settings import load_settings
from kit.tls import load_tls


def main() -> None:
    keep_files_private()
    settings = load_settings(AuthSettings)
    setup_logging("auth", settings.log_level)
    token = internal_token(settings, listening_on=[settings.auth_addr])
    tls = load_tls(settings)
    servicer, db = build(settings)
    served = create_auth_server(servicer, settings.auth_addr, token, tls=tls)

    def stop() -> None:
        servicer.close()  # open revocation watches end now, not at the grace period's end
        db.dispose()

    run_until_signalled(served, settings.grace_s, on_stop=stop)


if __name__ == "__main__":
    main()
