"""The processes `make run` supervises, in start order."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kit.settings import SERVICES
from launcher.settings import LauncherSettings

# The library last: it calls every other service.
SERVICE_MODULES = (*(s for s in SERVICES if s != "library"), "library")


@dataclass(frozen=True)
class Program:
    name: str
    command: tuple[str, ...]
    priority: int
    # Variables for this program only, on top of what every process inherits.
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)


def programs(
    settings: LauncherSettings,
    demo_secret_file: Path,
    service_environment: Mapping[str, str],
    gateway_environment: Mapping[str, str],
) -> list[Program]:
    """`demo_secret_file` holds the demo app's client secret. The emulator is given its path,
    never the secret: every user can read a process's command line (ps). The services get
    `service_environment` (the root internal token, when the environment gave one), the
    gateway only `gateway_environment` (its own credential)."""
    python = sys.executable
    found: list[Program] = []
    if settings.demo:
        found.append(
            Program(
                "emulator",
                (
                    python,
                    "-m",
                    "spotify_emulator",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(settings.demo_emulator_port),
                    "--seed",
                    str(settings.demo_seed),
                    "--profile",
                    "demo",
                    "--client-id",
                    DEMO_CLIENT_ID,
                    "--client-secret-file",
                    str(demo_secret_file),
                ),
                10,
            )
        )
    for index, module in enumerate(SERVICE_MODULES):
        found.append(Program(module, (python, "-m", module), 20 + index, service_environment))
    found.append(Program("gateway", (python, "-m", "gateway"), 90, gateway_environment))
    return found


DEMO_CLIENT_ID = "tapedeck-demo"
