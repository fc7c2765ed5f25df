"""python -m library: read settings, build the real parts, serve until signalled.

python -m library run-scheduled: ask the library service to start the automatic saves due
now, once, and exit (what a Kubernetes CronJob runs when TAPEDECK_SCHEDULER=off)."""

from __future__ import annotations

import logging
import sys

import grpc
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit.channels import open_channel
from kit.logs import setup_logging
from kit.secrets import caller_credential, internal_token, keep_files_private
from kit.settings import load_settings
from kit.tls import load_tls
from library.settings import LibrarySettings

log = logging.getLogger("library")


def serve(settings: LibrarySettings) -> None:
    # Imported here: `run-scheduled`, a CronJob's short run, needs none of this.
    from kit.server import run_until_signalled
    from library.restores.wiring import build_restores
    from library.server import create_library_server
    from library.wiring import build

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


def run_scheduled(settings: LibrarySettings) -> int:
    """One scheduler's pass, run by the library service at TAPEDECK_LIBRARY_ADDR (which
    owns the saves, and keeps running them after this exits). Exit status 1 when it cannot
    be asked."""
    credential = caller_credential(settings, "scheduler", listening_on=())
    channel = open_channel(
        settings.library_addr, credential, settings.rpc_timeout_s, tls=load_tls(settings)
    )
    try:
        answer = library_pb2_grpc.LibraryServiceStub(channel).RunScheduledSaves(
            library_pb2.RunScheduledSavesRequest(), wait_for_ready=True
        )
    except grpc.RpcError as exc:
        log.error(
            "scheduled saves not started",
            extra={"code": exc.code().name, "detail": exc.details()},
        )
        return 1
    finally:
        channel.close()
    log.info("scheduled saves started", extra={"started": answer.started})
    return 0


def main(argv: list[str]) -> int:
    keep_files_private()
    settings = load_settings(LibrarySettings)
    setup_logging("library", settings.log_level)
    if argv == ["run-scheduled"]:
        return run_scheduled(settings)
    if argv:
        sys.stderr.write("usage: python -m library [run-scheduled]\n")
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
