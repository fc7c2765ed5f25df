"""Fixtures for the emulator's own tests: emulators on ephemeral loopback ports, an HTTP
client holding a token, and validation against Spotify's OpenAPI document."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from spotify_emulator import Emulator, EmulatorConfig, LibrarySpec

SPEC = Path(__file__).resolve().parents[1] / "spec" / "openapi.yml"
CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "http://127.0.0.1:8000/auth/callback"


class Client:
    """requests against one emulator as one user."""

    def __init__(self, emu: Emulator, user_id: str = "alice", scope: str | None = None) -> None:
        self.emu = emu
        self.session = requests.Session()
        issued = emu.issue_token(user_id) if scope is None else emu.issue_token(user_id, scope)
        self.token = str(issued["access_token"])
        self.user = emu.user(user_id)

    def get(self, path: str, **params: Any) -> requests.Response:
        url = path if path.startswith("http") else self.emu.api_url + path
        return self.session.get(
            url, params=params, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def json(self, path: str, **params: Any) -> Any:
        answer = self.get(path, **params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def all_pages(self, path: str, **params: Any) -> list[Any]:
        """Every item of an offset-paged list, following `next` links."""
        page = self.json(path, **params)
        items = list(page["items"])
        while page["next"]:
            page = self.json(page["next"])
            items += page["items"]
        return items


@pytest.fixture
def make_emu() -> Iterator[Callable[..., Emulator]]:
    """Starts emulators (tiny library, seed 1, 2026 mode unless told) and stops them after."""
    started: list[Emulator] = []

    def make(**config: Any) -> Emulator:
        values: dict[str, Any] = {
            "seed": 1,
            "mode": "2026",
            "library": LibrarySpec.tiny(),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        values.update(config)
        emu = Emulator(EmulatorConfig(**values)).start(host="127.0.0.1", port=0)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(make_emu: Callable[..., Emulator]) -> Emulator:
    return make_emu()


@pytest.fixture
def client(emu: Emulator) -> Client:
    """alice's client on the default emulator."""
    return Client(emu)


@pytest.fixture
def client_for() -> type[Client]:
    """Client(emu, user_id="alice", scope=None), for other emulators or users."""
    return Client


# Spotify's OpenAPI document (spec/openapi.yml), relaxed in four places only, where real
# answers differ from it: (1) a playlist item's object may be null, (2) a playlist's
# items/tracks may be null or absent, (3) cursor paging's next and cursors are null on the
# last page, (4) local files, whose track objects carry null ids (checked on their own).

# In OAS 3.0 `nullable` only loosens a `type`, not a oneOf/allOf: null needs its own branch.
_NULL = {"enum": [None], "nullable": True}


@cache
def openapi() -> OpenAPI:
    spec = yaml.safe_load(SPEC.read_text())
    schemas = spec["components"]["schemas"]
    # 1. A playlist item's object may be null, and its oneOf has no discriminator mapping.
    for key in ("item", "track"):
        schemas["PlaylistTrackObject"]["properties"][key] = {
            "anyOf": [
                {"$ref": "#/components/schemas/TrackObject"},
                {"$ref": "#/components/schemas/EpisodeObject"},
                _NULL,
            ]
        }
    # 2. A playlist's items/tracks may be null or absent (2026 development mode).
    for name in ("SimplifiedPlaylistObject", "PlaylistObject"):
        props = schemas[name]["properties"]
        for key in ("items", "tracks"):
            props[key] = {"anyOf": [props[key], _NULL]}
    # 3. Cursor paging: next and the cursors are null on the last page.
    schemas["CursorPagingObject"]["properties"]["next"]["nullable"] = True
    for key in ("after", "before"):
        schemas["CursorObject"]["properties"][key]["nullable"] = True
    # 4. Local files: swapped out by _without_local_files and checked by local_file_problems.
    return OpenAPI.from_dict(spec)


def _without_local_files(payload: Any) -> Any:
    payload = copy.deepcopy(payload)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in ("item", "track"):
                obj = value.get(key)
                if isinstance(obj, dict) and obj.get("is_local") is True:
                    value[key] = None
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(payload)
    return payload


def validate(url: str, status: int, payload: Any) -> None:
    """Raises unless the answer to GET url matches the document (local files aside)."""
    parts = urlsplit(url)
    request = MockRequest(
        "https://api.spotify.com", "get", parts.path, args=dict(parse_qsl(parts.query))
    )
    body = json.dumps(_without_local_files(payload)).encode()
    openapi().validate_response(request, MockResponse(body, status_code=status))


LOCAL_TRACK_KEYS = {
    "album", "artists", "available_markets", "disc_number", "duration_ms", "explicit",
    "external_ids", "external_urls", "href", "id", "is_local", "name", "popularity",
    "preview_url", "track_number", "type", "uri",
}  # fmt: skip


def local_file_problems(track: dict[str, Any]) -> list[str]:
    """The relaxed check for a local file's track object."""
    problems = []
    if set(track) != LOCAL_TRACK_KEYS:
        problems.append(f"keys differ: {sorted(set(track) ^ LOCAL_TRACK_KEYS)}")
    if track["id"] is not None or track["href"] is not None or track["is_local"] is not True:
        problems.append("a local file has an id or href")
    if not str(track["uri"]).startswith("spotify:local:"):
        problems.append(f"uri {track['uri']}")
    if track["album"]["id"] is not None or any(a["id"] is not None for a in track["artists"]):
        problems.append("album or artist ids")
    if not isinstance(track["name"], str) or not isinstance(track["duration_ms"], int):
        problems.append("name or duration")
    return problems


class Schema:
    validate = staticmethod(validate)
    local_file_problems = staticmethod(local_file_problems)


@pytest.fixture(scope="session")
def schema() -> Schema:
    openapi()
    return Schema()
