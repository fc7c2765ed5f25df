"""What an emulator is started with: the library to generate, the app, the faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["2026", "legacy"]
MODES: tuple[Mode, ...] = ("2026", "legacy")


@dataclass(frozen=True)
class LibrarySpec:
    """Sizes of every user's generated library. Totals are exact: `playlists` playlists holding
    `playlist_items` items between them, `liked` saved tracks, `albums` saved albums and
    `artists` followed artists. The awkward cases real libraries have are always included
    (as far as the sizes allow)."""

    playlists: int = 7
    playlist_items: int = 200
    liked: int = 60
    albums: int = 5
    artists: int = 7
    # Share of the ordinary playlists that other users own (half of them collaborative).
    others_share: float = 0.15
    # Per-item odds, in ordinary playlists, of an episode, a local file and a null item.
    episode_rate: float = 0.01
    local_rate: float = 0.005
    null_rate: float = 0.003
    # Spotify's own cap per playlist; heavy-tailed sizes are cut here.
    max_playlist_items: int = 10_000

    @classmethod
    def tiny(cls) -> LibrarySpec:
        """Every awkward case, a 130-item playlist and 60 liked songs (so paging happens),
        and small enough that tests run in milliseconds."""
        return cls(playlists=7, playlist_items=200, liked=60, albums=5, artists=7)

    @classmethod
    def demo(cls) -> LibrarySpec:
        return cls(playlists=25, playlist_items=1_500, liked=300, albums=60, artists=80)

    @classmethod
    def workload_l(cls) -> LibrarySpec:
        return cls(playlists=500, playlist_items=60_000, liked=10_000, albums=1_500, artists=800)

    @classmethod
    def profile(cls, name: str) -> LibrarySpec:
        profiles = {"tiny": cls.tiny, "demo": cls.demo, "workload_l": cls.workload_l}
        if name not in profiles:
            raise ValueError(f"unknown profile {name!r}; one of {', '.join(profiles)}")
        return profiles[name]()


@dataclass(frozen=True)
class Hold:
    """Holds /v1 requests back until `n` of them are in flight at once, then lets them all
    go, once: a test can show that a client really has `n` requests in flight, without
    depending on how fast anything runs. Only requests of `user` (any known user if None)
    on `route` (a route template such as "GET /v1/playlists/{id}/items"; any if None) are
    held, and only those that arrive after the hold is set. Should `timeout_s` pass without
    another request joining before there are `n`, the held ones go on anyway and stats
    count the hold as timed out instead of reached."""

    n: int
    user: str | None = None
    route: str | None = None
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"a hold needs n >= 1, not {self.n}")
        if not self.timeout_s > 0:
            raise ValueError(f"a hold needs timeout_s > 0, not {self.timeout_s}")


@dataclass(frozen=True)
class Faults:
    """Faults injected into /v1 requests (never into accounts or admin requests)."""

    latency_ms: int = 0
    # (max_requests, window_s): more than max_requests within any window_s answers 429.
    rate_limit: tuple[int, float] | None = None
    retry_after_s: int = 1
    error_rate: float = 0.0  # share of requests answered 500/502/503
    drop_rate: float = 0.0  # share of requests whose connection is closed without an answer
    seed: int = 0
    hold: Hold | None = None
    # Share of write requests (any method but GET) answered 500/502/503 on top of the
    # above; with `write_error_applied` the write is made before the error is answered (as
    # when Spotify's answer is lost after it committed), so a client cannot know.
    write_error_rate: float = 0.0
    write_error_applied: bool = False
    # A rolling-window 429's Retry-After: `retry_after_s` when False; when True, as Spotify
    # does, the seconds until the window's oldest request leaves it (at least 1).
    window_retry_after: bool = False
    # (max_requests, period_s): the developer account's quota, counted over every request the
    # app was answered (the window's refusals aside) in fixed periods from when it was set.
    # Beyond it every request is answered 429 whose message is QUOTA_EXCEEDED, with the rest
    # of the period as Retry-After.
    quota: tuple[int, float] | None = None


@dataclass(frozen=True)
class EmulatorConfig:
    seed: int = 0
    mode: Mode = "2026"
    library: LibrarySpec = field(default_factory=LibrarySpec.tiny)
    client_id: str = "test-client"
    client_secret: str = "test-secret"
    token_ttl_s: int = 3600
    rotate_refresh_tokens: bool = False
    faults: Faults = field(default_factory=Faults)
    # The user who approves /authorize when the request does not name one.
    default_user: str = "tapedeck-demo"
    # The URL clients reach the emulator at, for hrefs and paging links; by default the
    # address it listens on.
    public_url: str | None = None
    # Registered redirect URIs; None accepts any that Spotify's rules allow.
    redirect_uris: tuple[str, ...] | None = None
    # Where users, tokens and library edits are kept across restarts (persist.py); None
    # keeps them in memory only.
    state_file: Path | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
