"""A service's own database: engine, sessions, and migration to the latest schema on start."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A UTC time column that reads back timezone-aware on every database: SQLite keeps no
    zone, so what it hands back is marked UTC here, once, rather than in every store."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, decides when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # 8 KB pages waste less on 2-4 KB Spotify objects; only a new file takes a page size.
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 16 MB of page cache (grown only as used) rather than 2 MB: a sync's inserts land all
    # over the indexes of a database of hundreds of MB.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads first and
    # writes later fails with SQLITE_BUSY under WAL instead of waiting its turn.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Sessions on one engine. `write()` commits when its block ends cleanly and rolls back
    otherwise; `read()` never commits."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def migrate(engine: sa.Engine, migrations: Path) -> None:
    """Bring the database to the newest schema of `migrations` (an Alembic script folder),
    every branch of it ("heads": two changes made side by side need no merge revision)."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together migrate one at a time.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('tapedeck-migrate'))")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    log.info("database migrated", extra={"migrations": migrations.parent.name})


def open_database(url: str, migrations: Path) -> Database:
    engine = create_engine(url)
    migrate(engine, migrations)
    return Database(engine)
