"""The auth service's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from pydantic import SecretStr

from kit.settings import DatabaseSettings, SpotifySettings, TapedeckSettings


class AuthSettings(TapedeckSettings, SpotifySettings, DatabaseSettings):
    public_url: str = "http://127.0.0.1:8000"
    # How long a Tapedeck JWT lives, in seconds.
    jwt_ttl_s: int = 7 * 24 * 3600
    # PEM of an Ed25519 private key; generated into the data dir when unset.
    jwt_private_key: SecretStr | None = None
    # A Fernet key (urlsafe base64 of 32 bytes); generated into the data dir when unset.
    token_encryption_key: SecretStr | None = None
    # How long a login may take between /auth/login and the callback, in seconds.
    login_state_ttl_s: int = 600

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/auth/callback"
