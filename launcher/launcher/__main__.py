"""make run: every Tapedeck process under supervisord, in the foreground (Ctrl-C stops all).

With no Spotify credentials set it starts in demo mode: the bundled Spotify emulator with
a demo library, and every service pointed at it.

Before any process starts, the launcher refuses a second Tapedeck on the same data dir or
ports and builds every process's settings, so either problem is one line on the console.
Then it stays supervisord's parent: it says when Tapedeck is ready, and stops everything
with the reason when a process cannot start."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from kit.credentials import derive
from kit.logs import setup_logging
from kit.secrets import internal_token, keep_files_private, keys_dir, load_or_create
from kit.settings import SERVICES, is_loopback, load_settings
from kit.tls import load_tls
from launcher.console import say
from launcher.failures import Logs
from launcher.lock import claim, refuse_taken_ports
from launcher.programs import DEMO_CLIENT_ID, programs
from launcher.rpc import Supervisor
from launcher.settings import LauncherSettings
from launcher.supervisor import config
from launcher.validation import validate_every_process
from launcher.watch import Watch

log = logging.getLogger("launcher")


def main() -> int:
    started = time.monotonic()
    keep_files_private()
    settings = load_settings(LauncherSettings)
    if settings.demo and not is_loopback(settings.http_host):
        raise SystemExit(
            f"tapedeck: invalid TAPEDECK_HTTP_HOST: demo mode (no Spotify credentials set) "
            f"serves this machine only, not {settings.http_host}"
        )
    setup_logging("launcher", settings.log_level)
    data_dir = settings.data_dir.resolve()
    run_dir, log_dir = data_dir / "run", data_dir / "logs"
    for folder in (data_dir, run_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    lock = claim(run_dir)
    refuse_taken_ports(settings)
    # Made here, before any child starts, so all of them read the same one.
    root = internal_token(
        settings, listening_on=[settings.http_host, *(settings.addr(s) for s in SERVICES)]
    )
    load_tls(settings)
    # The gateway is handed only its own credential, never the root token: a compromised
    # gateway cannot act as the services (kit.credentials). The services read the root from
    # the data dir, or are handed the one the environment gave.
    given_root = os.environ.pop("TAPEDECK_INTERNAL_TOKEN", None)
    service_environment = {"TAPEDECK_INTERNAL_TOKEN": given_root} if given_root else {}
    gateway_environment = {"TAPEDECK_CALLER_CREDENTIAL": derive(root, "gateway")}

    env = {
        "TAPEDECK_DATA_DIR": str(data_dir),
        "TAPEDECK_HTTP_HOST": settings.http_host,
        "TAPEDECK_HTTP_PORT": str(settings.http_port),
        "TAPEDECK_PUBLIC_URL": settings.public_url,
    }
    demo_secret_file = keys_dir(settings).resolve() / "demo-client-secret"
    if settings.demo:
        demo_secret = load_or_create(
            demo_secret_file, lambda: secrets.token_hex(16).encode()
        ).decode()
        emulator = f"http://127.0.0.1:{settings.demo_emulator_port}"
        env |= {
            "TAPEDECK_SPOTIFY_CLIENT_ID": DEMO_CLIENT_ID,
            "TAPEDECK_SPOTIFY_CLIENT_SECRET": demo_secret,
            "TAPEDECK_SPOTIFY_API_URL": f"{emulator}/v1",
            "TAPEDECK_SPOTIFY_ACCOUNTS_URL": emulator,
        }
    os.environ.update(env)
    # With the environment every process inherits.
    validate_every_process()
    if settings.demo:
        log.warning(
            "demo mode: TAPEDECK_SPOTIFY_CLIENT_ID/SECRET are not set, so Tapedeck uses the "
            "bundled Spotify emulator and its demo library",
            extra={"emulator": env["TAPEDECK_SPOTIFY_ACCOUNTS_URL"]},
        )

    found = programs(settings, demo_secret_file, service_environment, gateway_environment)
    conf = run_dir / "supervisord.conf"
    conf.write_text(config(found, run_dir, log_dir))
    conf.chmod(0o600)
    log.info(
        "starting",
        extra={"url": settings.public_url, "logs": str(log_dir), "supervisor": str(conf)},
    )
    watch = Watch(
        settings,
        Supervisor(run_dir / "supervisor.sock"),
        Logs(log_dir, [p.name for p in found]),
        started,
    )
    command = [str(Path(sys.executable).with_name("supervisord")), "-c", str(conf)]
    supervisord = subprocess.Popen(command)
    try:
        return watch.run(supervisord)
    except BaseException:
        # Never leave supervisord and its processes behind the launcher.
        supervisord.terminate()
        supervisord.wait()
        raise
    finally:
        lock.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted before start")
        sys.exit(130)
