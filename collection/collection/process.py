"""An entity service's process (`python -m <service>` calls `main`): read settings, set up
logging, build the real parts, tune the runtime for syncs, serve until signalled."""

from __future__ import annotations

import gc
import sys

from collection.server import EntityService, build, create_entity_server
from collection.settings import EntitySettings
from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private
from kit.server import run_until_signalled
from kit.settings import load_settings
from kit.tls import load_tls


def main(service: EntityService) -> None:
    """`python -m <service>`: read settings, build the real parts, serve until signalled."""
    keep_files_private()
    settings = load_settings(EntitySettings)
    setup_logging(service.name, settings.log_level)
    address = settings.addr(service.name)
    token = internal_token(settings, listening_on=[address])
    tls = load_tls(settings)
    built = build(service, settings, token, settings.metrics_addr(service.name), tls=tls)
    # A sync makes and drops millions of small JSON objects, none of them cyclic: collect
    # rarely, and never scan what was built at start (it lives as long as the process).
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    # The one writer gives up the GIL in every SQLite step and would wait up to 5 ms to get
    # it back from the fetching threads: a shorter switch interval keeps it fed.
    sys.setswitchinterval(0.0005)
    served = create_entity_server(built, address, token, settings.rpc_workers, tls=tls)
    run_until_signalled(served, settings.grace_s)
    built.close()
