"""Where the app's Spotify request rate is kept, so every process and replica paces against
the same limit: Spotify counts requests per app, not per process. One row per app: a
change is read, decided and written in one transaction (a row lock on PostgreSQL, the write
lock on SQLite), so two replicas never hand out the same slot. In memory for tests and a
single process.

Times are wall-clock seconds (time.time()): replicas on several machines need their
clocks in step (NTP), as they already do for tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kit.database import create_engine
from kit.spotify.limiter import LimiterSettings, SpotifyLimiter
from kit.spotify.rate_state import Change, MemoryRateStore, RateState, RateStore

T = TypeVar("T")


_metadata = sa.MetaData()
_rates = sa.Table(
    "spotify_rates",
    _metadata,
    sa.Column("app", sa.String(200), primary_key=True),
    sa.Column("rate", sa.Float, nullable=True),
    sa.Column("next_at", sa.Float, nullable=False),
    sa.Column("paused_until", sa.Float, nullable=False),
    sa.Column("decreased_at", sa.Float, nullable=False),
    sa.Column("quota_until", sa.Float, nullable=False),
    sa.Column("quota_message", sa.Text, nullable=False),
)
_FIELDS = ("rate", "next_at", "paused_until", "decreased_at", "quota_until", "quota_message")


class SqlRateStore:
    """The state in a database every replica reaches: PostgreSQL for a cluster, or one
    SQLite file the processes of one machine share (`make run`)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)
        self._writer = self._engine.execution_options(sqlite_begin="IMMEDIATE")
        # A writer's transaction from the start: on SQLite, the processes of `make run`
        # starting together would otherwise each read (checkfirst) and then fail to write
        # with "database is locked" rather than wait their turn.
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together create the table once.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('tapedeck-rates'))")
            _metadata.create_all(conn, checkfirst=True)

    def change(self, app: str, change: Change[T]) -> T:
        with self._writer.begin() as conn:
            row = conn.execute(
                sa.select(_rates).where(_rates.c.app == app).with_for_update()
            ).first()
            if row is None:
                # Two first calls at once: one inserts, the other's insert does nothing.
                insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
                conn.execute(
                    insert(_rates)
                    .values(app=app, **_values(RateState()))
                    .on_conflict_do_nothing(index_elements=["app"])
                )
                row = conn.execute(
                    sa.select(_rates).where(_rates.c.app == app).with_for_update()
                ).one()
            state = RateState(**{f: getattr(row, f) for f in _FIELDS})
            new, answer = change(state)
            if new != state:
                conn.execute(sa.update(_rates).where(_rates.c.app == app).values(**_values(new)))
            return answer

    def close(self) -> None:
        self._engine.dispose()


def _values(state: RateState) -> dict[str, object]:
    return {f: getattr(state, f) for f in _FIELDS}


def open_limiter(
    app: str, data_dir: Path, settings: LimiterSettings | None = None
) -> SpotifyLimiter:
    """The limiter of `app` (the Spotify client id) on the configured store."""
    settings = settings or LimiterSettings()
    url = settings.spotify_rate_database_url
    if url == "memory":
        store: RateStore = MemoryRateStore()
    else:
        store = SqlRateStore(url or f"sqlite:///{(data_dir / 'spotify-rate.db').resolve()}")
    return SpotifyLimiter(store, app, settings.limits(), owns_store=True)
