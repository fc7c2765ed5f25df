"""`/` while the web app is not built (gateway.routes.web serves it when it is): where a
browser login ends (`/#token=…`). A small static page: it says the login worked and shows
how to use the token with curl, or, without a token, how to log in, and in both cases how
to build the web app (docs/api.md "The start page").

The token travels in the URL's fragment, which browsers never send to a server, so it
reaches no log. The page reads it with a few lines of inline script, allowed by their hash
and nothing else (a Content-Security-Policy stricter than the app's), shows it, and takes it
out of the address bar and the history. The page loads nothing from anywhere and sends no
referrer."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.bodies import JsonBodyRoute

router = APIRouter(tags=["home"], route_class=JsonBodyRoute)

SCRIPT = """
"use strict";
(function () {
  var found = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
  if (!found || !found[1]) {
    return;
  }
  var token = decodeURIComponent(found[1]);
  document.getElementById("token").textContent = "TOKEN='" + token + "'";
  document.getElementById("in").hidden = false;
  document.getElementById("out").hidden = true;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
})();
"""

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 46rem; margin: 3rem auto; padding: 0 1.25rem; }
pre { background: #1d1d1f; color: #f5f5f7; padding: 0.75rem 1rem; border-radius: 6px;
      overflow-x: auto; font-size: 14px; }
code { font-family: ui-monospace, monospace; }
#token { word-break: break-all; white-space: pre-wrap; }
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tapedeck</title>
<style>{style}</style>
</head>
<body>
<main>
<h1>Tapedeck</h1>
<section id="in" hidden>
<p><strong>You are logged in.</strong> The web app is not built on this server; until it
is, use your token from a terminal. Copy it now: this page shows it only once, and it is your
login, so keep it to yourself.</p>
<pre><code id="token"></code></pre>
<p>Then save your library and read it back:</p>
<pre><code>curl -H "Authorization: Bearer $TOKEN" {url}/api/v1/me
curl -H "Authorization: Bearer $TOKEN" -X POST {url}/api/v1/library/saves
ID=...   # the "id" the POST answered
curl -H "Authorization: Bearer $TOKEN" -N {url}/api/v1/library/saves/$ID/events
curl -H "Authorization: Bearer $TOKEN" {url}/api/v1/playlists
curl -H "Authorization: Bearer $TOKEN" {url}/api/v1/tracks</code></pre>
<p>To end this login: <code>curl -H "Authorization: Bearer $TOKEN" -X POST
{url}/auth/logout</code>. Every route is described at <a href="/docs">/docs</a>.</p>
</section>
<section id="out">
<p>You are not logged in. <a href="/auth/login">Log in with Spotify</a>; you will come
back here with your token.</p>
</section>
<section id="build">
<p>This page stands in for Tapedeck's web app, which is not built here. With Node.js 20 or
newer installed, <code>make run</code> builds it and the gateway serves it at this
address. By hand: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then
start the gateway with <code>TAPEDECK_WEB_DIR</code> set to the <code>web/dist</code>
folder.</p>
</section>
</main>
<script>{script}</script>
</body>
</html>
"""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _policy() -> str:
    """Nothing but the page's own inline script and style, by hash; no connections, no
    images, no frames, no forms, no <base>."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {_sha256(SCRIPT)}",
            f"style-src {_sha256(STYLE)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


# nosniff, no-referrer and no framing come with every answer (gateway.middleware); this
# page's policy replaces the app's, which would allow scripts from the whole origin.
HEADERS = {"Cache-Control": "no-store"}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    public_url: str = request.app.state.settings.public_url.rstrip("/")
    page = PAGE.format(style=STYLE, script=SCRIPT, url=escape(public_url))
    return HTMLResponse(page, headers={**HEADERS, "Content-Security-Policy": _policy()})
