"""One Tapedeck per data dir, and none on ports another program holds: a second `make run`
is refused with one line before it writes anything the running one uses."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from kit.settings import SERVICES
from launcher.settings import LauncherSettings

LOCK_NAME = "launcher.lock"


def claim(run_dir: Path) -> IO[str]:
    """Locks `run_dir/launcher.lock` for as long as the returned file stays open (the kernel
    drops the lock when this process ends, however it ends), with this process's pid in it."""
    path = run_dir / LOCK_NAME
    # Not truncated on open: while another launcher holds the lock, its pid stays readable.
    lock = open(path, "a+")  # noqa: SIM115 - held for the life of the launcher
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        pid = lock.read().strip() or "unknown"
        lock.close()
        raise SystemExit(
            f"tapedeck: another Tapedeck is already running on {run_dir.parent} (launcher pid "
            f"{pid}); stop it with Ctrl-C where it runs, or give this one another "
            "TAPEDECK_DATA_DIR and other ports"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def listening_addresses(settings: LauncherSettings) -> list[tuple[str, str, int]]:
    """(what, host, port) of every address a process of this run will listen on."""
    found = [("the gateway, TAPEDECK_HTTP_PORT", settings.http_host, settings.http_port)]
    if settings.demo:
        found.append(
            (
                "the demo emulator, TAPEDECK_DEMO_EMULATOR_PORT",
                "127.0.0.1",
                settings.demo_emulator_port,
            )
        )
    for name in SERVICES:
        address = settings.addr(name)
        host, _, port = address.rpartition(":")
        # A full gRPC target (dns:///…, unix:…) is someone else's to check.
        if "/" in address or not port.isdigit():
            continue
        found.append(
            (f"the {name} service, TAPEDECK_{name.upper()}_ADDR", host.strip("[]"), int(port))
        )
    return found


def refuse_taken_ports(settings: LauncherSettings) -> None:
    """SystemExit naming the first address a process of this run could not listen on."""
    for what, host, port in listening_addresses(settings):
        if _taken(host, port):
            raise SystemExit(
                f"tapedeck: {host}:{port} ({what}) is already in use: another Tapedeck is "
                "running, or another program holds it; stop it or choose another port"
            )


def _taken(host: str, port: int) -> bool:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As the servers bind: a port left in TIME_WAIT by a run that just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False
