"""The web app (web/, built into web/dist by `make run`), served from the gateway's own
origin so it needs no CORS and its token never meets another site.

- `/assets/…`: Vite's output, each file named by a hash of its content, so a name never
  changes meaning: cached for a year, `immutable`.
- Every route of the app (history mode: `/playlists/…` typed in the address bar or
  reloaded) answers `index.html`, `no-cache`, so a new build is seen at the next load.
- Other files at the build's top (the icon) are revalidated too.

The folder is `TAPEDECK_WEB_DIR`. Unset, or without an `index.html`, `/` stays the start
page (gateway.routes.home), which then says how to build the app, and the app's other
paths are 404 like any unknown route."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from gateway.bodies import JsonBodyRoute
from gateway.routes import home
from kit import errors

router = APIRouter(tags=["web"], route_class=JsonBodyRoute)

# The app's own paths (web/src/router.ts): each answers index.html. Keep the two the same.
APP_PATHS = (
    "/playlists",
    "/playlists/{playlist_id}",
    "/playlists/{playlist_id}/history",
    "/tracks/{track_id}/history",
    "/liked",
    "/albums",
    "/artists",
    "/saves",
    "/changes",
    "/downloads",
    "/restore",
)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Cover images come from Spotify's CDNs (and, in demo mode, from the emulator: added per
# installation, gateway.settings). Everything else only from the gateway's own origin.
SPOTIFY_IMAGES = ("https://i.scdn.co", "https://*.scdn.co", "https://*.spotifycdn.com")
SPOTIFY_API = "https://api.spotify.com"


def policy(spotify_api_url: str) -> str:
    """The app's Content-Security-Policy: the default one of every answer
    (gateway.middleware), plus images from where Spotify's covers are."""
    images = ["'self'", "data:", *SPOTIFY_IMAGES]
    parts = urlsplit(spotify_api_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme in ("http", "https") and parts.netloc and origin != SPOTIFY_API:
        images.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            # The app plays a downloaded file from a blob: the file's route needs the token.
            "media-src 'self' blob:",
            "base-uri 'self'",
            "form-action 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ]
    )


def web_dir(request: Request) -> Path | None:
    """The built app's folder, when it holds a build."""
    folder: Path | None = request.app.state.settings.web_dir
    if folder is None or not (folder / "index.html").is_file():
        return None
    return folder


def _not_found() -> errors.NotFound:
    return errors.NotFound("no such route")


def _index(request: Request, folder: Path) -> Response:
    settings = request.app.state.settings
    return FileResponse(
        folder / "index.html",
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": REVALIDATE,
            "Content-Security-Policy": policy(settings.spotify_api_url),
        },
    )


@router.get("/", include_in_schema=False)
async def start(request: Request) -> Response:
    """The app, or the start page while it is not built."""
    folder = web_dir(request)
    if folder is None:
        return await home.home(request)
    return _index(request, folder)


async def app_route(request: Request) -> Response:
    folder = web_dir(request)
    if folder is None:
        raise _not_found()
    return _index(request, folder)


for _path in APP_PATHS:
    router.add_api_route(_path, app_route, methods=["GET"], include_in_schema=False)


def _file(folder: Path, name: str) -> Path:
    """`name` inside `folder`, or 404: never a path out of it (`..`, absolute, symlinks)."""
    root = folder.resolve()
    found = (root / name).resolve()
    if not found.is_relative_to(root) or not found.is_file():
        raise _not_found()
    return found


@router.get("/assets/{name:path}", include_in_schema=False)
async def asset(request: Request, name: str) -> Response:
    folder = web_dir(request)
    if folder is None:
        raise _not_found()
    found = _file(folder / "assets", name)
    media_type, _ = mimetypes.guess_type(found.name)
    return FileResponse(
        found,
        media_type=media_type or "application/octet-stream",
        headers={"Cache-Control": IMMUTABLE},
    )


@router.get("/favicon.svg", include_in_schema=False)
async def icon(request: Request) -> Response:
    folder = web_dir(request)
    if folder is None:
        raise _not_found()
    return FileResponse(
        _file(folder, "favicon.svg"),
        media_type="image/svg+xml",
        headers={"Cache-Control": REVALIDATE},
    )
