"""The auth service's tables and every query on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from auth.credentials import SealedCredentials
from kit.database import Database, UtcDateTime


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    spotify_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    # The Spotify user object, exactly as /me returned it.
    profile_json: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when Spotify refused the refresh token; cleared by the next login.
    authorization_lost_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CredentialRow(Base):
    __tablename__ = "spotify_credentials"

    user_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    access_token: Mapped[bytes] = mapped_column(sa.LargeBinary)
    refresh_token: Mapped[bytes] = mapped_column(sa.LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Granted at the last login; refreshes keep it.
    scope: Mapped[str] = mapped_column(sa.Text, default="")


class LoginStateRow(Base):
    __tablename__ = "login_states"

    state: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    return_to: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # SHA-256 of the login cookie's nonce: the callback must come from the same browser.
    browser_nonce_hash: Mapped[str] = mapped_column(sa.String(64))
    # PKCE: sent with the code, so a code stolen on its way back is worthless alone.
    code_verifier: Mapped[str] = mapped_column(sa.String(128))
    client_address: Mapped[str] = mapped_column(sa.String(64), index=True)


class RevokedTokenRow(Base):
    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # After this the token is expired anyway, and the row can go.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


@dataclass(frozen=True)
class LoginState:
    return_to: str
    browser_nonce_hash: str
    code_verifier: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    spotify_id: str
    profile_json: str
    authorization_lost: bool


def _user(row: UserRow) -> User:
    return User(row.id, row.spotify_id, row.profile_json, row.authorization_lost_at is not None)


class UserEvents(Protocol):
    """Where a change of a user's Spotify authorization is announced (auth.revocation_store),
    in the same transaction as the change."""

    def user_authorization(self, s: Session, user_id: str, lost: bool, now: datetime) -> None: ...


class AuthStore:
    def __init__(self, db: Database, events: UserEvents | None = None) -> None:
        self._db = db
        self._events = events

    def _user_event(self, s: Session, user_id: str, *, lost: bool, now: datetime) -> None:
        if self._events is not None:
            self._events.user_authorization(s, user_id, lost, now)

    def add_login_state(
        self,
        *,
        state: str,
        return_to: str,
        browser_nonce_hash: str,
        code_verifier: str,
        client_address: str,
        now: datetime,
        expired_before: datetime,
        per_address: int,
        in_total: int,
    ) -> datetime | None:
        """Stores a pending login, first deleting expired ones. When the client address
        already has `per_address` pending logins, or everyone `in_total`, nothing is stored
        and the answer is when the oldest pending login holding that cap was made."""
        with self._db.write() as s:
            if s.get_bind().dialect.name == "postgresql":
                # Counting and inserting must not interleave between replicas, or each
                # would see room for one more. (SQLite's writers are serial already.)
                s.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('tapedeck-logins'))"))
            s.execute(sa.delete(LoginStateRow).where(LoginStateRow.created_at < expired_before))
            for where, cap in (
                (LoginStateRow.client_address == client_address, per_address),
                (sa.true(), in_total),
            ):
                count, oldest = s.execute(
                    sa.select(sa.func.count(), sa.func.min(LoginStateRow.created_at)).where(where)
                ).one()
                if count >= cap:
                    oldest_at: datetime = oldest
                    return oldest_at
            s.add(
                LoginStateRow(
                    state=state,
                    return_to=return_to,
                    created_at=now,
                    browser_nonce_hash=browser_nonce_hash,
                    code_verifier=code_verifier,
                    client_address=client_address,
                )
            )
            return None

    def take_login_state(self, state: str, not_before: datetime) -> LoginState | None:
        """The pending login, removing it (single use, whatever the caller then decides);
        None if unknown, used or too old."""
        with self._db.write() as s:
            row = s.get(LoginStateRow, state)
            if row is None:
                return None
            s.delete(row)
            s.execute(sa.delete(LoginStateRow).where(LoginStateRow.created_at < not_before))
            if row.created_at < not_before:
                return None
            return LoginState(
                row.return_to, row.browser_nonce_hash, row.code_verifier, row.created_at
            )

    def save_login(
        self,
        *,
        new_id: str,
        spotify_id: str,
        profile_json: str,
        credentials: SealedCredentials,
        now: datetime,
    ) -> User:
        """Creates or updates the user of this Spotify account with fresh credentials."""
        with self._db.write() as s:
            row = s.scalars(sa.select(UserRow).where(UserRow.spotify_id == spotify_id)).first()
            if row is None:
                row = UserRow(id=new_id, spotify_id=spotify_id, created_at=now)
                s.add(row)
            row.profile_json = profile_json
            row.updated_at = now
            row.authorization_lost_at = None
            s.merge(
                CredentialRow(
                    user_id=row.id,
                    access_token=credentials.access_token,
                    refresh_token=credentials.refresh_token,
                    expires_at=credentials.expires_at,
                    scope=credentials.scope,
                )
            )
            # Every login: its profile may have changed, and watchers drop what they cached.
            self._user_event(s, row.id, lost=False, now=now)
            s.flush()
            return _user(row)

    def get_user(self, user_id: str) -> User | None:
        with self._db.read() as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def get_credentials(self, user_id: str) -> SealedCredentials | None:
        with self._db.read() as s:
            row = s.get(CredentialRow, user_id)
            if row is None:
                return None
            return SealedCredentials(row.access_token, row.refresh_token, row.expires_at, row.scope)

    @contextmanager
    def refreshing(self, user_id: str) -> Iterator[CredentialsInRefresh]:
        """The user's credentials while one refresh of them runs. On PostgreSQL the row stays
        locked (SELECT ... FOR UPDATE) until the block ends: another replica refreshing the
        same user waits, then reads what this one stored. SQLite serves one process, whose
        own lock per user serializes refreshes; its writes compare-and-swap all the same."""
        if self._db.engine.dialect.name == "postgresql":
            with self._db.write() as s:
                held = CredentialsInRefresh(self._db, user_id, s)
                held.current()
                yield held
        else:
            yield CredentialsInRefresh(self._db, user_id, None)

    def mark_authorization_lost(self, user_id: str, now: datetime) -> None:
        with self._db.write() as s:
            s.execute(
                sa.update(UserRow).where(UserRow.id == user_id).values(authorization_lost_at=now)
            )
            self._user_event(s, user_id, lost=True, now=now)

    def revoke(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        with self._db.write() as s:
            s.merge(RevokedTokenRow(token_id=token_id, expires_at=expires_at))
            s.execute(sa.delete(RevokedTokenRow).where(RevokedTokenRow.expires_at < now))

    def is_revoked(self, token_id: str) -> bool:
        with self._db.read() as s:
            return s.get(RevokedTokenRow, token_id) is not None


class CredentialsInRefresh:
    def __init__(self, db: Database, user_id: str, locked: Session | None) -> None:
        self._db = db
        self._user_id = user_id
        self._locked = locked

    def current(self) -> SealedCredentials | None:
        """Read again: another replica may have stored new credentials meanwhile."""
        query = sa.select(
            CredentialRow.access_token, CredentialRow.refresh_token, CredentialRow.expires_at
        ).where(CredentialRow.user_id == self._user_id)
        if self._locked is not None:
            row = self._locked.execute(query.with_for_update()).first()
        else:
            with self._db.read() as s:
                row = s.execute(query).first()
        return SealedCredentials(*row) if row else None

    def replace(self, old: SealedCredentials, new: SealedCredentials) -> bool:
        """Stores `new` only if the row still holds `old`'s refresh token (every sealing is
        unique, so this also tells a rotation by another replica from ours)."""
        update = (
            sa.update(CredentialRow)
            .where(
                CredentialRow.user_id == self._user_id,
                CredentialRow.refresh_token == old.refresh_token,
            )
            .values(
                access_token=new.access_token,
                refresh_token=new.refresh_token,
                expires_at=new.expires_at,
            )
        )
        if self._locked is not None:
            return _changed(self._locked.execute(update))
        with self._db.write() as s:
            return _changed(s.execute(update))


def _changed(result: Any) -> bool:
    return bool(result.rowcount == 1)
