"""make run: every Tapedeck process under supervisord, in the foreground (Ctrl-C stops all).

With no Spotify credentials set it starts in demo mode: the bundled Spotify emulator with
a demo library, and every service pointed at it."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

from kit.logs import setup_logging
from kit.secrets import internal_token, keys_dir, load_or_create
from kit.settings import load_settings
from launcher.programs import DEMO_CLIENT_ID, programs
from launcher.settings import LauncherSettings
from launcher.supervisor import config

log = logging.getLogger("launcher")


def main() -> None:
    settings = load_settings(LauncherSettings)
    setup_logging("launcher", settings.log_level)
    data_dir = settings.data_dir.resolve()
    run_dir, log_dir = data_dir / "run", data_dir / "logs"
    for folder in (data_dir, run_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # Made here, before any child starts, so all of them read the same one.
    internal_token(settings)

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
        log.warning(
            "demo mode: TAPEDECK_SPOTIFY_CLIENT_ID/SECRET are not set, so Tapedeck uses the "
            "bundled Spotify emulator and its demo library",
            extra={"emulator": emulator},
        )
    os.environ.update(env)

    conf = run_dir / "supervisord.conf"
    conf.write_text(config(programs(settings, demo_secret_file), run_dir, log_dir))
    conf.chmod(0o600)
    log.info(
        "starting",
        extra={"url": settings.public_url, "logs": str(log_dir), "supervisor": str(conf)},
    )
    supervisord = Path(sys.executable).with_name("supervisord")
    os.execv(supervisord, [str(supervisord), "-c", str(conf)])


if __name__ == "__main__":
    main()
