"""Login with Spotify, logout, and who the caller is (docs/api.md "Auth")."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from tapedeck.auth.v1 import auth_pb2

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep, BearerToken, CurrentUser, SessionsDep
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.schemas import LoginAnswer, Me

router = APIRouter(tags=["auth"], route_class=JsonBodyRoute)

ShortText = Annotated[str, Query(max_length=2048)]

NO_STORE = {"Cache-Control": "no-store"}

LOCATION = {"Location": {"description": "where to go", "schema": {"type": "string"}}}


@router.get(
    "/auth/login",
    status_code=302,
    response_class=RedirectResponse,
    response_description="to Spotify's authorize page",
    responses={302: {"headers": LOCATION}, **error_responses(400, 422, 503, 500)},
)
async def login(backends: BackendsDep, return_to: ShortText = "/") -> RedirectResponse:
    answer = await backends.auth.StartLogin(auth_pb2.StartLoginRequest(return_to=return_to))
    return RedirectResponse(answer.authorize_url, status_code=302)


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
    code: ShortText = "",
    state: ShortText = "",
    error: ShortText = "",
) -> Response:
    answer = await backends.auth.CompleteLogin(
        auth_pb2.CompleteLoginRequest(code=code, state=state, error=error)
    )
    if "application/json" in request.headers.get("accept", ""):
        # The user object is spliced in as stored, byte for byte.
        head = json.dumps(
            {"token": answer.token, "token_type": "Bearer", "expires_in": answer.expires_in}
        )
        body = f'{head[:-1]}, "user": {answer.user_json}}}'
        return Response(body, media_type="application/json")
    public_url: str = request.app.state.settings.public_url.rstrip("/")
    return RedirectResponse(f"{public_url}{answer.return_to}#token={answer.token}", status_code=302)


@router.post("/auth/logout", status_code=204, responses=error_responses(*AUTHENTICATED, 413))
async def logout(token: BearerToken, sessions: SessionsDep) -> Response:
    await sessions.logout(token)
    return Response(status_code=204, headers=NO_STORE)


@router.get("/api/v1/me", response_model=Me, responses=error_responses(*AUTHENTICATED))
async def me(user: CurrentUser, backends: BackendsDep) -> Response:
    answer = await backends.auth.GetUser(auth_pb2.GetUserRequest(user_id=user.id))
    # The stored Spotify object byte for byte, Tapedeck's key spliced in after its keys.
    notes = json.dumps({"spotify_authorization_lost": answer.spotify_authorization_lost})
    stored = answer.user_json.rstrip()
    head = stored[:-1].rstrip()
    separator = "" if head.endswith("{") else ", "
    return Response(
        f'{head}{separator}"tapedeck": {notes}}}', media_type="application/json", headers=NO_STORE
    )
