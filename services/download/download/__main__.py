"""python -m download: the download service's process.

It serves gRPC health and reflection so the umbrella, the supervisor and /readyz already
include it; its job queue and workers arrive with the downloads issue."""

from __future__ import annotations

from download.settings import DownloadSettings
from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private
from kit.server import create_server, run_until_signalled
from kit.settings import load_settings
from kit.tls import load_tls


def main() -> None:
    keep_files_private()
    settings = load_settings(DownloadSettings)
    setup_logging("download", settings.log_level)
    token = internal_token(settings, listening_on=[settings.download_addr])
    served = create_server(settings.download_addr, [], internal_token=token, tls=load_tls(settings))
    run_until_signalled(served, settings.grace_s)


if __name__ == "__main__":
    main()
