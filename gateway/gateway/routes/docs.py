"""`/docs`: Swagger UI over `/openapi.json`, served whole from the gateway's own origin. Its
script and style come from the fastapi-offline package (which ships Swagger UI's files), not
from a CDN: a script fetched from elsewhere would run with the reader's token in reach (the
Authorize button) and would stop working offline.

The page has no inline script, so its Content-Security-Policy allows scripts from this origin
only; Swagger UI's CSS draws a few images from `data:` URLs."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from gateway.bodies import JsonBodyRoute
from kit import errors

router = APIRouter(tags=["docs"], route_class=JsonBodyRoute, include_in_schema=False)

# Swagger UI's files, as the package ships them, by the name they are served under.
_SHIPPED = Path(str(files("fastapi_offline") / "static"))
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}

# FastAPI's own page starts Swagger UI from an inline script; this one is a file, so that
# no inline script needs allowing. `validatorUrl: null`: no badge fetched from Swagger's site.
INIT = """"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tapedeck API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" href="/docs/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@router.get("/docs", response_class=HTMLResponse)
async def docs() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": POLICY})


@router.get("/docs/init.js")
async def init() -> Response:
    return Response(INIT, media_type="text/javascript")


@router.get("/docs/{asset}")
async def asset(asset: str) -> FileResponse:
    media_type = ASSETS.get(asset)
    if media_type is None:
        raise errors.NotFound("no such file")
    return FileResponse(_SHIPPED / asset, media_type=media_type)
