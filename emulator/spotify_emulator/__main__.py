"""python -m spotify_emulator: run the emulator on its own (demo mode, benchmarks)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from spotify_emulator.config import MODES, EmulatorConfig, Faults, LibrarySpec
from spotify_emulator.emulator import Emulator

log = logging.getLogger("spotify_emulator")

# The app's client secret never travels on the command line: ps shows it to every user.
SECRET_ENV = "SPOTIFY_EMULATOR_CLIENT_SECRET"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # No abbreviations: `--client-secret X` must not pass for `--client-secret-file X`.
    parser = argparse.ArgumentParser(
        prog="python -m spotify_emulator", description=__doc__, allow_abbrev=False
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", default="demo", choices=("tiny", "demo", "workload_l"))
    parser.add_argument("--mode", default="2026", choices=MODES)
    parser.add_argument("--client-id", required=True)
    parser.add_argument(
        "--client-secret-file",
        type=Path,
        help=f"a file (mode 0600) holding the app's client secret; without it, ${SECRET_ENV}",
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime, s")
    parser.add_argument("--rotate-refresh-tokens", action="store_true")
    parser.add_argument("--default-user", default="tapedeck-demo")
    parser.add_argument("--public-url", default=None, help="the URL clients reach it at")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.client_secret_file is not None:
        try:
            args.client_secret = args.client_secret_file.read_text().strip()
        except OSError as error:
            parser.error(f"--client-secret-file: {error.strerror}: {args.client_secret_file}")
    else:
        args.client_secret = os.environ.get(SECRET_ENV, "")
    if not args.client_secret:
        parser.error(f"no client secret: set ${SECRET_ENV} or pass --client-secret-file")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    config = EmulatorConfig(
        seed=args.seed,
        mode=args.mode,
        library=LibrarySpec.profile(args.profile),
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl_s=args.token_ttl,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        faults=Faults(latency_ms=args.latency_ms),
        default_user=args.default_user,
        public_url=args.public_url,
    )
    emulator = Emulator(config)
    # The default user's library is ready before the first login asks for it.
    emulator.user()
    emulator.start(host=args.host, port=args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "Spotify emulator listening on %s (profile %s, mode %s, seed %d)",
        emulator.base_url,
        args.profile,
        args.mode,
        args.seed,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        log.info("Spotify emulator stopped")


if __name__ == "__main__":
    main()
    sys.exit(0)
