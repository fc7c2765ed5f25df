"""python -m download: read settings, build the real parts, serve until signalled.

`python -m download` serves the gRPC API and (unless TAPEDECK_DOWNLOAD_EMBEDDED_WORKER is
false) runs download workers in the same process. `python -m download worker` runs workers
only: TAPEDECK_DOWNLOAD_WORKER_PROCESSES processes of TAPEDECK_DOWNLOAD_CONCURRENCY
downloads each, claiming jobs from the same database (PostgreSQL for more than one
process), until SIGTERM; a worker process that dies is started again."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from types import FrameType

from download.settings import DownloadSettings
from kit.logs import setup_logging
from kit.secrets import keep_files_private
from kit.settings import load_settings

log = logging.getLogger("download")

# Seconds before a worker process that died is started again.
RESTART_DELAY_S = 1.0


def serve() -> None:
    # Imported here: a worker process needs none of the server's modules (gRPC among them).
    from download.server import create_download_server
    from download.wiring import build
    from kit.secrets import internal_token
    from kit.server import run_until_signalled
    from kit.tls import load_tls

    settings = load_settings(DownloadSettings)
    setup_logging("download", settings.log_level)
    token = internal_token(settings, listening_on=[settings.download_addr])
    tls = load_tls(settings)
    built = build(settings, token, tls=tls)
    served = create_download_server(built.servicer, settings.download_addr, token, tls=tls)
    run_until_signalled(served, settings.grace_s, on_stop=built.close)


def _until_signalled() -> threading.Event:
    stopping = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stopping


def work() -> None:
    """One worker process: its threads claim jobs until SIGTERM, then put their running
    jobs back in the queue."""
    settings = load_settings(DownloadSettings)
    setup_logging("download-worker", settings.log_level)
    from download.worker import Workers
    from download.worker_wiring import open_queue, worker_settings

    stopping = _until_signalled()
    queue, db = open_queue(settings)
    workers = Workers(queue, worker_settings(settings)).start()
    stopping.wait()
    workers.stop()
    db.dispose()


def supervise(processes: int) -> None:
    """`processes` worker processes, each started again when it dies, until SIGTERM."""
    settings = load_settings(DownloadSettings)
    setup_logging("download-workers", settings.log_level)
    if settings.url_for("download", settings.data_dir).startswith("sqlite"):
        # SQLite lets one process write at a time: more would wait on each other's locks.
        raise SystemExit(
            "tapedeck: TAPEDECK_DOWNLOAD_WORKER_PROCESSES > 1 needs PostgreSQL "
            "(TAPEDECK_DOWNLOAD_DATABASE_URL); with SQLite run one process and raise "
            "TAPEDECK_DOWNLOAD_CONCURRENCY instead"
        )
    stopping = _until_signalled()
    command = [sys.executable, "-m", "download", "worker", "--single"]
    children = [subprocess.Popen(command) for _ in range(processes)]
    while not stopping.wait(RESTART_DELAY_S):
        for n, child in enumerate(children):
            if child.poll() is not None:
                log.warning(
                    "worker process ended; starting another", extra={"code": child.returncode}
                )
                children[n] = subprocess.Popen(command)
    for child in children:
        child.terminate()
    for child in children:
        child.wait()


def main(argv: list[str]) -> None:
    keep_files_private()
    if argv[:1] == ["worker"]:
        processes = load_settings(DownloadSettings).download_worker_processes
        if "--single" in argv or processes == 1:
            work()
        else:
            supervise(processes)
        return
    if argv:
        raise SystemExit("usage: python -m download [worker]")
    serve()


if __name__ == "__main__":
    main(sys.argv[1:])
