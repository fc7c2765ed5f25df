"""A Spotify Web API and accounts service emulator: deterministic, seeded libraries served
over real HTTP so unmodified spotipy works against it, with fault injection and request
counters for tests."""

from spotify_emulator.config import EmulatorConfig, Faults, LibrarySpec
from spotify_emulator.emulator import ALL_SCOPES, Emulator
from spotify_emulator.users import User

__all__ = ["ALL_SCOPES", "Emulator", "EmulatorConfig", "Faults", "LibrarySpec", "User"]
