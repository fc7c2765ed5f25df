"""Builds the auth service's real parts from settings (used by __main__ and by tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from auth.cipher import TokenCipher
from auth.credentials import SealedCredentials
from auth.jwts import JwtIssuer
from auth.keys import encryption_key, signing_key
from auth.logins import Caps, Logins
from auth.personal_token_store import PersonalTokenStore
from auth.personal_tokens import PersonalTokens
from auth.recovery import Attempts, RecoveryCodes
from auth.recovery_store import RecoveryCodeStore
from auth.revocation_store import RevocationStore
from auth.revocations import RevocationFeed, Wakeup
from auth.servicer import AuthServicer
from auth.sessions import Sessions
from auth.settings import AuthSettings
from auth.spotify_tokens import SpotifyTokens
from auth.store import AuthStore
from kit.database import Database, open_database
from kit.spotify.accounts import SpotifyAccounts

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build(settings: AuthSettings, db: Database | None = None) -> tuple[AuthServicer, Database]:
    if not settings.spotify_client_id or settings.spotify_client_secret is None:
        raise SystemExit(
            "tapedeck: TAPEDECK_SPOTIFY_CLIENT_ID and TAPEDECK_SPOTIFY_CLIENT_SECRET are required"
        )
    if db is None:
        db = open_database(settings.url_for("auth", settings.data_dir), MIGRATIONS)
    wakeup = Wakeup()
    revocations = RevocationStore(db, on_commit=wakeup.notify)
    store = AuthStore(db, events=revocations)
    cipher = TokenCipher(encryption_key(settings))

    def seal(access: str, refresh: str, expires_at: datetime) -> SealedCredentials:
        return SealedCredentials(cipher.seal(access), cipher.seal(refresh), expires_at)

    accounts = SpotifyAccounts(
        client_id=settings.spotify_client_id,
        client_secret=settings.spotify_client_secret.get_secret_value(),
        redirect_uri=settings.redirect_uri,
        accounts_url=settings.spotify_accounts_url,
        api_url=settings.spotify_api_url,
        timeout_s=settings.spotify_timeout_s,
    )
    tokens = SpotifyTokens(store, accounts, cipher, seal)
    issuer = JwtIssuer(signing_key(settings), settings.public_url, settings.jwt_ttl_s)
    logins = Logins(
        store=store,
        accounts=accounts,
        issuer=issuer,
        seal=seal,
        state_ttl=timedelta(seconds=settings.login_state_ttl_s),
        caps=Caps(settings.login_pending_per_client, settings.login_pending_total),
    )
    personal_tokens = PersonalTokens(PersonalTokenStore(db, revocations))
    sessions = Sessions(
        store=store, revocations=revocations, issuer=issuer, personal_tokens=personal_tokens
    )
    feed = RevocationFeed(
        store=revocations,
        wakeup=wakeup,
        poll_s=settings.revocation_poll_s,
        max_watchers=settings.revocation_watchers_max,
    )
    recovery = RecoveryCodes(
        store=RecoveryCodeStore(db),
        users=store,
        issuer=issuer,
        attempts=Attempts(
            settings.recovery_failures_max, timedelta(seconds=settings.recovery_failure_window_s)
        ),
    )
    servicer = AuthServicer(
        logins, sessions, tokens, feed=feed, personal_tokens=personal_tokens, recovery=recovery
    )
    return servicer, db
