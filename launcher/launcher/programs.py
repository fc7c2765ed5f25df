"""The processes `make run` supervises, in start order."""

from __future__ import annotations

import sys
from dataclasses import dataclass
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


def programs(settings: LauncherSettings, demo_secret_file: Path) -> list[Program]:
    """`demo_secret_file` holds the demo app's client secret. The emulator is given its path,
    never the secret: every user can read a process's command line (ps)."""
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
        found.append(Program(module, (python, "-m", module), 20 + index))
    found.append(Program("gateway", (python, "-m", "gateway"), 90))
    return found


DEMO_CLIENT_ID = "tapedeck-demo"
