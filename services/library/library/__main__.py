"""python -m library: read settings, build the real parts, serve until signalled."""

from __future__ import annotations

from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private
from kit.server import run_until_signalled
from kit.settings import load_settings
from kit.tls import load_tls
from library.restores.wiring import build_restores
from library.server import create_library_server
from library.settings import LibrarySettings
from library.wiring import build


def main() -> None:
    keep_files_private()
    settings = load_settings(LibrarySettings)
    setup_logging("library", settings.log_level)
    token = internal_token(settings, listening_on=[settings.library_addr])
    tls = load_tls(settings)
    library = build(settings, token, tls=tls)
    restores = build_restores(settings, token, library.db, tls=tls)
    served = create_library_server(
        library.servicer,
        settings.library_addr,
        token,
        settings.rpc_workers,
        tls=tls,
        restores=restores.servicer,
    )

    def stop() -> None:
        restores.close()
        library.close()

    run_until_signalled(served, settings.grace_s, on_stop=stop)


if __name__ == "__main__":
    main()
