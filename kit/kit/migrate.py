"""`python -m kit.migrate SERVICE PACKAGE`: bring SERVICE's database to the newest schema of
the Alembic folder `PACKAGE/migrations`, then exit.

Every service also migrates when it starts; this runs the same step on its own, so a
deployment can migrate before new replicas start (a Kubernetes init container or Job) and
a failing migration stops the rollout with its error, instead of crash-looping every pod.
On PostgreSQL it holds the same advisory lock, so it and starting replicas take turns."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from kit.database import create_engine, migrate
from kit.logs import setup_logging
from kit.secrets import keep_files_private
from kit.settings import SERVICES, DatabaseSettings, TapedeckSettings, load_settings


def migrations_of(package: str) -> Path:
    """The `migrations` folder beside `package`'s __init__, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"tapedeck: no package {package!r} is installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "migrations"
    if not (folder / "env.py").is_file():
        raise SystemExit(f"tapedeck: {package} has no Alembic migrations ({folder})")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.migrate", description=__doc__)
    parser.add_argument("service", choices=SERVICES, help="whose database (its DATABASE_URL)")
    parser.add_argument("package", help="the package holding the migrations folder")
    args = parser.parse_args(argv)
    keep_files_private()
    settings = load_settings(TapedeckSettings)
    setup_logging(f"{args.service}-migrate", settings.log_level)
    folder = migrations_of(args.package)
    url = load_settings(DatabaseSettings).url_for(args.service, settings.data_dir)
    engine = create_engine(url)
    try:
        migrate(engine, folder)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
