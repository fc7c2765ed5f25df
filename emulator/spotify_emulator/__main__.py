"""python -m spotify_emulator: run the emulator on its own (demo mode, benchmarks)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import NoReturn

from spotify_emulator.config import MODES, EmulatorConfig, Faults, LibrarySpec
from spotify_emulator.emulator import Emulator
from spotify_emulator.logs import setup_logging
from spotify_emulator.persist import DEFAULT_NAME

log = logging.getLogger("spotify_emulator")

# The app's client secret never travels on the command line: ps shows it to every user.
SECRET_ENV = "SPOTIFY_EMULATOR_CLIENT_SECRET"
# Without --state-file, the state file goes below Tapedeck's data dir when this is set (as
# it is in the environment `make run` gives every process): demo mode survives restarts.
DATA_DIR_ENV = "TAPEDECK_DATA_DIR"


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """Usage errors are logged (a JSON line, like everything else), then exit 2."""

    def error(self, message: str) -> NoReturn:
        unrecognized = "unrecognized arguments: "
        if message.startswith(unrecognized):
            # Only the option names: a value there may be a secret passed the wrong way.
            names = [a for a in message[len(unrecognized) :].split() if a.startswith("-")]
            message = unrecognized + (" ".join(names) or "(values only)")
        log.error("%s: %s", self.prog, message)
        sys.exit(2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # No abbreviations: `--client-secret X` must not pass for `--client-secret-file X`.
    parser = _Parser(prog="python -m spotify_emulator", description=__doc__, allow_abbrev=False)
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
    parser.add_argument("--log-level", default="INFO", type=str.upper, choices=_LEVELS)
    state = parser.add_mutually_exclusive_group()
    state.add_argument(
        "--state-file",
        type=Path,
        help="keep users, tokens and library changes in this file across restarts; "
        f"default ${DATA_DIR_ENV}/{DEFAULT_NAME} when ${DATA_DIR_ENV} is set",
    )
    state.add_argument(
        "--no-state-file", action="store_true", help="keep everything in memory only"
    )
    args = parser.parse_args(argv)
    if args.no_state_file:
        args.state_file = None
    elif args.state_file is None and os.environ.get(DATA_DIR_ENV):
        args.state_file = Path(os.environ[DATA_DIR_ENV]) / DEFAULT_NAME
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


def _log_crash(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    log.critical("the emulator crashed", exc_info=(kind, error, tb))


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        log.critical(
            "a thread crashed",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            extra={"thread_name": args.thread.name if args.thread else None},
        )


def main(argv: list[str] | None = None) -> None:
    # JSON lines on stdout from the first line on, usage errors and crashes included.
    formatter = setup_logging("INFO")
    logging.captureWarnings(True)
    sys.excepthook = _log_crash
    threading.excepthook = _log_thread_crash
    args = parse_args(argv)
    # Blanked out of every line, should anything ever log it.
    formatter.secrets = (args.client_secret,)
    logging.getLogger().setLevel(args.log_level)
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
        state_file=args.state_file,
    )
    emulator = Emulator(config)
    # The default user's library is ready before the first login asks for it.
    emulator.user()
    try:
        emulator.start(host=args.host, port=args.port)
    except OSError as error:
        log.error(
            "cannot listen on %s:%d: %s",
            args.host,
            args.port,
            error.strerror or error,
            extra={"host": args.host, "port": args.port},
        )
        sys.exit(1)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "Spotify emulator listening on %s (profile %s, mode %s, seed %d)",
        emulator.base_url,
        args.profile,
        args.mode,
        args.seed,
        extra={
            "url": emulator.base_url,
            "profile": args.profile,
            "mode": args.mode,
            "state_file": str(args.state_file) if args.state_file else None,
        },
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
