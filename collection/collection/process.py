"""An entity service's process (`python -m <service>` calls `main`): read settings, set up
logging, build the real parts, tune the runtime for syncs, serve until signalled."""

from __future__ import annotations

import gc
import sys

from collection.server import EntityService, build, create_entity_server
from collection.settings import EntitySettings
from kit.logs import setup_logging
from kit.secrets import internal_token
from kit.server import run_until_signalled
from kit.settings import load_settings


def main(service: EntityService) -> None:
    """`python -m <service>`: read settings, build the real parts, serve until signalled."""
    settings = load_settings(EntitySettings)
    setup_logging(service.name, settings.log_level)
    token = internal_token(settings)
    built = build(service, settings, token, settings.metrics_addr(service.name))
    # A sync makes and drops millions of small JSON objects, none of them cyclic: collect
    # rarely, and never scan what was built at start (it lives as long as the process).
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    # The one writer gives up the GIL in every SQLite step and would wait up to 5 ms to get
    # it back from the fetching threads: a shorter switch interval keeps it fed.
    sys.setswitchinterval(0.0005)
    served = create_entity_server(built, settings.addr(service.name), token, settings.rpc_workers)
    run_until_signalled(served, settings.grace_s)
    built.close()
