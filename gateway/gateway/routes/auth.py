"""Login with Spotify, logout, and who the caller is (docs/api.md "Auth")."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Cookie, Query, Request, Response
from fastapi.responses import RedirectResponse
from tapedeck.auth.v1 import auth_pb2

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep, BearerToken, CurrentUser, SessionsDep, sessions_of
from gateway.errors import response_for
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.schemas import LoginAnswer, Me
from kit.status import error_from_rpc


class NoStoreRoute(JsonBodyRoute):
    """Every answer, errors included, carries `Cache-Control: no-store`: a login's redirect
    and cookie, a token, who the caller is; none of it may stay in a cache. An error is
    answered by the app's own exception handlers (gateway.errors), as any other route's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as exc:  # noqa: BLE001 - answered by the app's handlers
                response = await _handled(request, exc)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route


async def _handled(request: Request, exc: Exception) -> Response:
    handlers = request.app.exception_handlers
    handler = next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)
    if handler is None:
        raise exc
    response = handler(request, exc)
    answer: Response = await response if inspect.isawaitable(response) else response
    return answer


router = APIRouter(tags=["auth"], route_class=NoStoreRoute)

ShortText = Annotated[str, Query(max_length=2048)]

NO_STORE = {"Cache-Control": "no-store"}

LOCATION = {"Location": {"description": "where to go", "schema": {"type": "string"}}}

# Holds the nonce that binds a login to the browser that started it (docs/api.md "Auth").
LOGIN_COOKIE = "tapedeck_login"
SET_LOGIN_COOKIE = {
    "Set-Cookie": {
        "description": f"{LOGIN_COOKIE}=<nonce>; HttpOnly; SameSite=Lax; Path=/auth; Max-Age=…"
        " (and Secure when TAPEDECK_PUBLIC_URL is https): the callback needs it back",
        "schema": {"type": "string"},
    }
}


@router.get(
    "/auth/login",
    status_code=302,
    response_class=RedirectResponse,
    response_description="to Spotify's authorize page",
    responses={
        302: {"headers": {**LOCATION, **SET_LOGIN_COOKIE}},
        **error_responses(400, 422, 429, 503, 500),
    },
)
async def login(
    request: Request,
    backends: BackendsDep,
    return_to: ShortText = "/",
    scope: Literal["restore"] | None = None,
) -> RedirectResponse:
    """`scope=restore`: the second consent a first restore needs (Spotify's write scopes on
    top of the read ones); a first login never asks for them."""
    answer = await backends.auth.StartLogin(
        auth_pb2.StartLoginRequest(
            return_to=return_to,
            client_address=request.client.host if request.client else "",
            write_scopes=scope == "restore",
        )
    )
    response = RedirectResponse(answer.authorize_url, status_code=302)
    public_url: str = request.app.state.settings.public_url
    # Binds the login to this browser: the callback must bring the nonce back (login CSRF).
    # Lax, not Strict: the callback is a top-level navigation from Spotify's site.
    response.set_cookie(
        LOGIN_COOKIE,
        answer.browser_nonce,
        max_age=answer.expires_in,
        path="/auth",
        secure=public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/auth/callback",
    response_model=LoginAnswer,
    response_description="a login asked for JSON (Accept: application/json)",
    responses={
        302: {
            "description": "a browser: back into the app, the token in the URL's fragment",
            "headers": LOCATION,
        },
        **error_responses(400, 422, 503, 500),
    },
)
async def callback(
    request: Request,
    backends: BackendsDep,
    sessions: SessionsDep,
    code: ShortText = "",
    state: ShortText = "",
    error: ShortText = "",
    tapedeck_login: Annotated[str, Cookie(max_length=256)] = "",
) -> Response:
    try:
        answer = await backends.auth.CompleteLogin(
            auth_pb2.CompleteLoginRequest(
                code=code, state=state, error=error, browser_nonce=tapedeck_login
            )
        )
    except grpc.RpcError as exc:
        # The state is spent either way: its cookie has nothing left to bind.
        refused = response_for(error_from_rpc(exc))
        refused.delete_cookie(LOGIN_COOKIE, path="/auth")
        return refused
    # The login may have stored a new profile: /me on this replica reads it again at once
    # (other replicas drop theirs on the revocation stream's event of the login).
    sessions.profiles.changed(answer.user_id)
    response: Response
    if "application/json" in request.headers.get("accept", ""):
        # The user object is spliced in as stored, byte for byte.
        head = json.dumps(
            {"token": answer.token, "token_type": "Bearer", "expires_in": answer.expires_in}
        )
        body = f'{head[:-1]}, "user": {answer.user_json}}}'
        response = Response(body, media_type="application/json")
    else:
        public_url: str = request.app.state.settings.public_url.rstrip("/")
        response = RedirectResponse(
            f"{public_url}{answer.return_to}#token={answer.token}", status_code=302
        )
    response.delete_cookie(LOGIN_COOKIE, path="/auth")
    return response


@router.post("/auth/logout", status_code=204, responses=error_responses(*AUTHENTICATED, 413))
async def logout(token: BearerToken, sessions: SessionsDep) -> Response:
    await sessions.logout(token)
    return Response(status_code=204, headers=NO_STORE)


@router.get("/api/v1/me", response_model=Me, responses=error_responses(*AUTHENTICATED))
async def me(request: Request, user: CurrentUser) -> Response:
    stored, lost = await sessions_of(request).profile(user)
    # The stored Spotify object byte for byte, Tapedeck's key spliced in after its keys.
    notes = json.dumps({"spotify_authorization_lost": lost})
    stored = stored.rstrip()
    head = stored[:-1].rstrip()
    separator = "" if head.endswith("{") else ", "
    return Response(
        f'{head}{separator}"tapedeck": {notes}}}', media_type="application/json", headers=NO_STORE
    )
