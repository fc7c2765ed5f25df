"""python -m download: read settings, build the real parts, serve until signalled.

For now it answers which tracks have finished downloads (the exports ask); its job queue
and workers arrive with the downloads issue."""

from __future__ import annotations

from download.server import create_download_server
from download.settings import DownloadSettings
from download.wiring import build
from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private
from kit.server import run_until_signalled
from kit.settings import load_settings
from kit.tls import load_tls


def main() -> None:
    keep_files_private()
    settings = load_settings(DownloadSettings)
    setup_logging("download", settings.log_level)
    token = internal_token(settings, listening_on=[settings.download_addr])
    built = build(settings)
    served = create_download_server(
        built.servicer, settings.download_addr, token, tls=load_tls(settings)
    )
    run_until_signalled(served, settings.grace_s, on_stop=built.db.dispose)


if __name__ == "__main__":
    main()
