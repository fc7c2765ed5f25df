"""The auth service's settings (docs/operations.md "Configuration")."""

from __future__ import annotations

from pydantic import Field, SecretStr

from kit.settings import DatabaseSettings, SpotifySettings, TapedeckSettings


class AuthSettings(TapedeckSettings, SpotifySettings, DatabaseSettings):
    public_url: str = "http://127.0.0.1:8000"
    # How long a Tapedeck JWT lives, in seconds.
    jwt_ttl_s: int = Field(default=7 * 24 * 3600, gt=0)
    # PEM of an Ed25519 private key; generated into the data dir when unset.
    jwt_private_key: SecretStr | None = None
    # A Fernet key (urlsafe base64 of 32 bytes); generated into the data dir when unset.
    token_encryption_key: SecretStr | None = None
    # How long a login may take between /auth/login and the callback, in seconds.
    login_state_ttl_s: int = Field(default=600, gt=0)
    # Logins started and not yet finished, at most: from one client address, and in all.
    login_pending_per_client: int = Field(default=20, gt=0)
    login_pending_total: int = Field(default=10_000, gt=0)

    # How often a revocation watcher looks for changes other replicas wrote, in seconds
    # (this process's own changes reach its watchers at once).
    revocation_poll_s: float = Field(default=0.15, gt=0)
    # Revocation watches open at once (one per gateway replica); each holds a server thread.
    revocation_watchers_max: int = Field(default=8, gt=0)
    # Wrong recovery codes from one client address within the window, before 429.
    recovery_failures_max: int = Field(default=5, gt=0)
    recovery_failure_window_s: int = Field(default=900, gt=0)

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/auth/callback"
