"""Where the app's Spotify request rate is kept, so every process and replica paces against
the same limit: Spotify counts requests per app, not per process. One row per app: a
change is read, decided and written in one transaction (a row lock on PostgreSQL, the write
lock on SQLite), so two replicas never hand out the same slot. In memory for tests and a
single process.

Times are wall-clock seconds (time.time()): replicas on several machines need their
clocks in step (NTP), as they already do for tokens."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kit.database import create_engine

T = TypeVar("T")


@dataclass(frozen=True)
class RateState:
    """The app's pacing. `rate` is None until Spotify first answers 429: until then requests
    are not paced at all, so an app that never meets the limit never waits."""

    # Requests a second the app allows itself, once paced.
    rate: float | None = None
    # The earliest time the next paced request may go (slots are handed out one after
    # another, 1/rate apart).
    next_at: float = 0.0
    # No request before this (Retry-After of a 429).
    paused_until: float = 0.0
    # When the rate was last cut: a 429 to a request sent before that is the same
    # congestion, already answered, and cuts nothing more.
    decreased_at: float = 0.0
    # The developer account's quota is used up until then (QUOTA_EXCEEDED): nothing goes.
    quota_until: float = 0.0
    quota_message: str = ""


# Given the app's state (a fresh one the first time), its next state and what to answer.
Change = Callable[[RateState], tuple[RateState, T]]


class RateStore(Protocol):
    def change(self, app: str, change: Change[T]) -> T:
        """Applies `change` to `app`'s state atomically with respect to every other user of
        the store, and returns its answer."""
        ...

    def close(self) -> None: ...


class MemoryRateStore:
    """One process's store (tests; or a single process without a database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, RateState] = {}

    def change(self, app: str, change: Change[T]) -> T:
        with self._lock:
            state, answer = change(self._states.get(app, RateState()))
            self._states[app] = state
            return answer

    def close(self) -> None:
        pass


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
        with self._engine.begin() as conn:
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
