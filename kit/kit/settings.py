"""Settings shared by every Tapedeck process: one typed object per process, built in __main__."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TypeVar, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.credentials import MIN_LENGTH

# The services that keep one kind of a library each (on the collection engine).
ENTITY_SERVICES = ("playlist", "track", "album", "artist")
# Every gRPC service: each has an address and a database of its own.
SERVICES = ("auth", "library", *ENTITY_SERVICES, "download")

DEFAULT_PORTS = {
    "auth": 50051,
    "library": 50052,
    "playlist": 50053,
    "track": 50054,
    "album": 50055,
    "artist": 50056,
    "download": 50057,
}


class TapedeckSettings(BaseSettings):
    """The variables every process may read (docs/operations.md, "Configuration")."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Path("./var")
    log_level: str = "INFO"
    # The root internal credential: servers check every internal call against it, callers
    # derive their own from it (kit.credentials). Generated into the data dir when unset.
    internal_token: SecretStr | None = None
    # A process given only its own derived credential (the gateway under make run) needs
    # no root token.
    caller_credential: SecretStr | None = None
    # TLS for every internal gRPC call (PEM files): mutual when a CA is given.
    grpc_tls_cert: Path | None = None
    grpc_tls_key: Path | None = None
    grpc_tls_ca: Path | None = None

    auth_addr: str = f"127.0.0.1:{DEFAULT_PORTS['auth']}"
    library_addr: str = f"127.0.0.1:{DEFAULT_PORTS['library']}"
    playlist_addr: str = f"127.0.0.1:{DEFAULT_PORTS['playlist']}"
    track_addr: str = f"127.0.0.1:{DEFAULT_PORTS['track']}"
    album_addr: str = f"127.0.0.1:{DEFAULT_PORTS['album']}"
    artist_addr: str = f"127.0.0.1:{DEFAULT_PORTS['artist']}"
    download_addr: str = f"127.0.0.1:{DEFAULT_PORTS['download']}"

    # Seconds a stopping server lets running calls finish.
    grace_s: float = Field(default=5.0, gt=0)
    # Deadline of an internal call that does not set its own.
    rpc_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("internal_token", "caller_credential")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_LENGTH:
            raise ValueError(
                f"must be at least {MIN_LENGTH} characters (unset it to have one generated, or "
                "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    def addr(self, service: str) -> str:
        value: str = getattr(self, f"{service}_addr")
        return value


class SpotifySettings(BaseSettings):
    """Where Spotify is, and this installation's Spotify app."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    spotify_client_id: str | None = None
    spotify_client_secret: SecretStr | None = None
    spotify_api_url: str = "https://api.spotify.com/v1"
    spotify_accounts_url: str = "https://accounts.spotify.com"
    # Seconds one Spotify HTTP request may take.
    spotify_timeout_s: float = Field(default=20.0, gt=0)


class SpotifyConcurrencySettings(BaseSettings):
    """The bound on one user's Spotify requests in flight: the library shares it among the
    kinds of a save; each entity service caps any one sync at it."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    spotify_concurrency: int = Field(default=8, ge=1, le=64)


class DatabaseSettings(BaseSettings):
    """A service's own database: TAPEDECK_<SERVICE>_DATABASE_URL, else SQLite in the data dir."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    auth_database_url: str | None = None
    library_database_url: str | None = None
    playlist_database_url: str | None = None
    track_database_url: str | None = None
    album_database_url: str | None = None
    artist_database_url: str | None = None
    download_database_url: str | None = None

    def url_for(self, service: str, data_dir: Path) -> str:
        url: str | None = getattr(self, f"{service}_database_url")
        return url or f"sqlite:///{(data_dir / f'{service}.db').resolve()}"


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Build settings from the environment; a bad value ends start-up with one clear line."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        first = exc.errors()[0]
        field = "_".join(str(p) for p in first["loc"])
        name = f"{prefix}{field}".upper()
        given = first.get("input")
        # A secret's value is never echoed: the console may be shared or logged.
        got = f"{len(str(given or ''))} characters" if _secret(cls, field) else repr(given)
        raise SystemExit(f"tapedeck: invalid {name}: {first['msg']} (got {got})") from None


def _secret(cls: type[BaseSettings], field: str) -> bool:
    info = cls.model_fields.get(field)
    return info is not None and SecretStr in (info.annotation, *get_args(info.annotation))


def is_loopback(address: str) -> bool:
    """Whether `address` (a host, or host:port, IPv6 in brackets) is reachable from this
    machine only. Any name but localhost counts as reachable from elsewhere."""
    if address.startswith("unix:"):
        return True
    host = address
    if address.startswith("["):
        host = address[1 : address.find("]")]
    elif address.count(":") == 1:
        host = address.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
