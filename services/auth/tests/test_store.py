"""The auth service's storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from auth.cipher import TokenCipher
from auth.credentials import SealedCredentials
from auth.store import AuthStore
from auth.wiring import MIGRATIONS
from kit.database import open_database

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _store(url: str) -> AuthStore:
    return AuthStore(open_database(url, MIGRATIONS))


def _creds(
    cipher: TokenCipher, access: str = "access-1", refresh: str = "refresh-1"
) -> SealedCredentials:
    return SealedCredentials(cipher.seal(access), cipher.seal(refresh), NOW + timedelta(hours=1))


def _add_state(store: AuthStore, state: str, return_to: str, now: datetime) -> None:
    held = store.add_login_state(
        state=state,
        return_to=return_to,
        browser_nonce_hash="h" * 64,
        code_verifier="v" * 86,
        client_address="192.0.2.1",
        now=now,
        expired_before=now - timedelta(minutes=10),
        per_address=20,
        in_total=10_000,
    )
    assert held is None


def test_a_login_state_works_once(database_url: str) -> None:
    store = _store(database_url)
    _add_state(store, "s1", "/playlists", NOW)
    taken = store.take_login_state("s1", NOW - timedelta(minutes=10))
    assert taken is not None and taken.return_to == "/playlists"
    assert taken.browser_nonce_hash == "h" * 64 and taken.code_verifier == "v" * 86
    assert store.take_login_state("s1", NOW - timedelta(minutes=10)) is None


def test_an_old_login_state_is_refused(database_url: str) -> None:
    store = _store(database_url)
    _add_state(store, "s1", "/", NOW - timedelta(hours=1))
    assert store.take_login_state("s1", NOW - timedelta(minutes=10)) is None


def test_unknown_state_is_refused(database_url: str) -> None:
    assert _store(database_url).take_login_state("forged", NOW) is None


def test_logging_in_again_keeps_one_user_per_spotify_account(database_url: str) -> None:
    store = _store(database_url)
    cipher = TokenCipher(Fernet.generate_key())
    first = store.save_login(
        new_id="a" * 32,
        spotify_id="alice",
        profile_json='{"id": "alice"}',
        credentials=_creds(cipher),
        now=NOW,
    )
    store.mark_authorization_lost(first.id, NOW)
    again = store.save_login(
        new_id="b" * 32,
        spotify_id="alice",
        profile_json='{"id": "alice", "x": 1}',
        credentials=_creds(cipher, "access-2"),
        now=NOW,
    )
    assert again.id == first.id
    assert again.profile_json == '{"id": "alice", "x": 1}'
    assert not again.authorization_lost
    sealed = store.get_credentials(first.id)
    assert sealed is not None and cipher.open(sealed.access_token) == "access-2"


def test_spotify_tokens_are_not_stored_in_the_clear(database_url: str, tmp_path: Path) -> None:
    store = _store(database_url)
    cipher = TokenCipher(Fernet.generate_key())
    user = store.save_login(
        new_id="a" * 32,
        spotify_id="alice",
        profile_json="{}",
        credentials=_creds(cipher, "SECRET-ACCESS", "SECRET-REFRESH"),
        now=NOW,
    )
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT access_token, refresh_token FROM spotify_credentials WHERE user_id = :u"
            ),
            {"u": user.id},
        ).one()
    engine.dispose()
    assert b"SECRET" not in bytes(row[0]) and b"SECRET" not in bytes(row[1])


def test_a_revoked_token_stays_revoked(database_url: str) -> None:
    store = _store(database_url)
    store.revoke("jti-1", NOW + timedelta(days=1), NOW)
    assert store.is_revoked("jti-1")
    assert not store.is_revoked("jti-2")
    store.revoke("jti-1", NOW + timedelta(days=1), NOW)  # twice is harmless
    assert store.is_revoked("jti-1")
