"""What `make run` needs to know: where things listen, and whether Spotify is configured."""

from __future__ import annotations

from pydantic import Field

from kit.settings import SpotifySettings, TapedeckSettings


class LauncherSettings(TapedeckSettings, SpotifySettings):
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    # Demo mode only: where the bundled Spotify emulator listens, and its library.
    demo_emulator_port: int = Field(default=8090, ge=1, le=65535)
    demo_seed: int = 42

    @property
    def demo(self) -> bool:
        return not self.spotify_client_id or self.spotify_client_secret is None
