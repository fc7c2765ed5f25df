"""python -m spotify_emulator: run the emulator on its own (demo mode, benchmarks)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from spotify_emulator.config import MODES, EmulatorConfig, Faults, LibrarySpec
from spotify_emulator.emulator import Emulator

log = logging.getLogger("spotify_emulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m spotify_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", default="demo", choices=("tiny", "demo", "workload_l"))
    parser.add_argument("--mode", default="2026", choices=MODES)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime, s")
    parser.add_argument("--rotate-refresh-tokens", action="store_true")
    parser.add_argument("--default-user", default="tapedeck-demo")
    parser.add_argument("--public-url", default=None, help="the URL clients reach it at")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


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
