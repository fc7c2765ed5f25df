"""The gateway serves the built web app: index.html for every route of the app (history
mode) and never cached without asking, hashed assets cached for good, a policy that lets
the app load only from its own origin (and covers from Spotify's), and nothing outside the
build's folder. Without a build, `/` is the start page and says how to build the app.

The real app over ASGI, on a real folder laid out as `vite build` writes it (the browser
tests in tests/web run the real build)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from teststack.gateway import gateway_settings

from gateway.app import create_app

pytestmark = pytest.mark.anyio

INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd.js"></script></head><body><div id="app"></div></body></html>'
SCRIPT = "console.log('tapedeck');"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-Ab12Cd.js").write_text(SCRIPT)
    (folder / "assets" / "index-Ef34Gh.css").write_text("body{margin:0}")
    (folder / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return folder


def _client(**settings: Any) -> httpx.AsyncClient:
    app = create_app(gateway_settings({}, **settings), "i" * 43)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


@pytest.fixture
async def web(dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(web_dir=dist, spotify_api_url="http://127.0.0.1:8090/v1") as client:
        yield client


def _assert_not_found(answer: httpx.Response) -> None:
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


async def test_every_route_of_the_app_answers_index_html_revalidated(
    web: httpx.AsyncClient,
) -> None:
    for path in (
        "/",
        "/playlists",
        "/playlists/37i9dQZF1DXcBWIGoYBM5M",
        "/playlists/37i9dQZF1DXcBWIGoYBM5M/history",
        "/liked",
        "/saves",
        "/downloads",
    ):
        answer = await web.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 200, path
        assert answer.text == INDEX, path
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-cache", path
        assert answer.headers["x-frame-options"] == "DENY"


async def test_the_app_may_load_only_from_its_origin_and_covers_from_spotify_or_the_emulator(
    web: httpx.AsyncClient,
) -> None:
    answer = await web.get("/playlists")
    policies = answer.headers.get_list("content-security-policy")
    assert len(policies) == 1
    directives = dict(d.strip().split(" ", 1) for d in policies[0].split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    # A downloaded file plays from a blob: its route needs the token an <audio> cannot send.
    assert directives["media-src"] == "'self' blob:"
    images = directives["img-src"].split()
    assert "'self'" in images and "https://i.scdn.co" in images
    assert "http://127.0.0.1:8090" in images
    assert "'unsafe-inline'" not in policies[0] and "'unsafe-eval'" not in policies[0]


async def test_spotify_itself_adds_no_image_origin(dist: Path) -> None:
    async with _client(web_dir=dist) as client:
        policy = (await client.get("/")).headers["content-security-policy"]
    assert "api.spotify.com" not in policy


async def test_hashed_assets_are_cached_for_good_with_their_type(web: httpx.AsyncClient) -> None:
    script = await web.get("/assets/index-Ab12Cd.js")
    assert script.status_code == 200
    assert script.text == SCRIPT
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    style = await web.get("/assets/index-Ef34Gh.css")
    assert style.headers["content-type"].startswith("text/css")
    icon = await web.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"


async def test_nothing_outside_the_build_is_served(web: httpx.AsyncClient) -> None:
    for path in (
        "/assets/missing-0000.js",
        "/assets/../index.html",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/",
        "/no/such/page",
        "/playlists/a/b",
    ):
        answer = await web.get(path)
        assert answer.status_code == 404 or answer.text == INDEX, path
        assert "not for the web" not in answer.text, path


async def test_missing_assets_and_unknown_routes_are_json_404s(web: httpx.AsyncClient) -> None:
    _assert_not_found(await web.get("/assets/missing-0000.js"))
    _assert_not_found(await web.get("/assets/%2e%2e/%2e%2e/secret.txt"))
    _assert_not_found(await web.get("/no/such/page"))


async def test_the_api_is_not_shadowed_by_the_app(web: httpx.AsyncClient) -> None:
    answer = await web.get("/api/v1/playlists", headers={"Accept": "text/html"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_token"


async def test_without_a_build_the_start_page_says_how_to_build_the_app(tmp_path: Path) -> None:
    for settings in ({}, {"web_dir": tmp_path / "never-built"}):
        async with _client(**settings) as client:
            start = await client.get("/")
            assert start.status_code == 200
            assert "npm ci" in start.text and "make run" in start.text
            assert start.headers["content-security-policy"].startswith("default-src 'none'")
            _assert_not_found(await client.get("/playlists"))
            _assert_not_found(await client.get("/assets/index-Ab12Cd.js"))
