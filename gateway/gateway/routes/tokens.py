"""The ways in that need no Spotify: personal access tokens and recovery codes (docs/api.md
"Personal access tokens and recovery codes"). Every answer carries Cache-Control: no-store."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.auth.v1 import auth_pb2

from gateway.bodies import WHOLE, JsonBodyRoute
from gateway.deps import BackendsDep, CurrentUser, SessionsDep
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.schemas import (
    ErrorBody,
    LoginAnswer,
    NewPersonalToken,
    PersonalTokenList,
    RecoveryCodes,
)

router = APIRouter(tags=["auth"], route_class=JsonBodyRoute)

NO_STORE = {"Cache-Control": "no-store"}

TOO_MANY_TRIES = {
    "model": ErrorBody,
    "description": "rate_limited: too many wrong codes from this client; try again after "
    "Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    expires_in_days: Annotated[int | None, WHOLE] = Field(
        default=None, ge=1, le=3650, description="days until it stops working; null: never"
    )


class RecoveryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    code: str = Field(min_length=1, max_length=100, description="one of the recovery codes")


def _time(message: Any, name: str) -> str | None:
    if not message.HasField(name):
        return None
    ts: Timestamp = getattr(message, name)
    return ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _token_json(token: auth_pb2.PersonalToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "created_at": _time(token, "created_at"),
        "expires_at": _time(token, "expires_at"),
    }


@router.post(
    "/api/v1/tokens",
    status_code=201,
    response_model=NewPersonalToken,
    response_description="the new token; its secret is shown this once",
    responses=error_responses(400, *AUTHENTICATED, 413, 422),
)
async def create_token(user: CurrentUser, backends: BackendsDep, body: TokenRequest) -> Response:
    answer = await backends.auth.CreatePersonalToken(
        auth_pb2.CreatePersonalTokenRequest(
            user_id=user.id, name=body.name, expires_in_days=body.expires_in_days or 0
        )
    )
    return JSONResponse(
        {**_token_json(answer.token), "token": answer.secret}, status_code=201, headers=NO_STORE
    )


@router.get(
    "/api/v1/tokens",
    response_model=PersonalTokenList,
    response_description="the caller's personal access tokens, without their secrets",
    responses=error_responses(*AUTHENTICATED),
)
async def list_tokens(user: CurrentUser, backends: BackendsDep) -> Response:
    answer = await backends.auth.ListPersonalTokens(
        auth_pb2.ListPersonalTokensRequest(user_id=user.id)
    )
    items = [_token_json(token) for token in answer.tokens]
    return JSONResponse({"items": items}, headers=NO_STORE)


@router.delete(
    "/api/v1/tokens/{token_id}",
    status_code=204,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def delete_token(
    token_id: str, user: CurrentUser, backends: BackendsDep, sessions: SessionsDep
) -> Response:
    await backends.auth.DeletePersonalToken(
        auth_pb2.DeletePersonalTokenRequest(user_id=user.id, token_id=token_id)
    )
    # Refused here at once; other replicas learn it from the revocation stream.
    sessions.forget_personal(token_id)
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/api/v1/recovery-codes",
    status_code=201,
    response_model=RecoveryCodes,
    response_description="ten new codes, replacing any earlier ones; shown this once",
    responses=error_responses(*AUTHENTICATED, 413),
)
async def create_recovery_codes(user: CurrentUser, backends: BackendsDep) -> Response:
    answer = await backends.auth.CreateRecoveryCodes(
        auth_pb2.CreateRecoveryCodesRequest(user_id=user.id)
    )
    return JSONResponse({"codes": list(answer.codes)}, status_code=201, headers=NO_STORE)


@router.post(
    "/auth/recovery",
    response_model=LoginAnswer,
    response_description="a login without Spotify: the same body as the JSON callback",
    responses={**error_responses(400, 401, 413, 422, 503, 500), 429: TOO_MANY_TRIES},
)
async def recover(request: Request, backends: BackendsDep, body: RecoveryRequest) -> Response:
    client = request.client.host if request.client else ""
    answer = await backends.auth.RedeemRecoveryCode(
        auth_pb2.RedeemRecoveryCodeRequest(code=body.code, client_address=client)
    )
    # The user object is spliced in as stored, byte for byte.
    head = json.dumps(
        {"token": answer.token, "token_type": "Bearer", "expires_in": answer.expires_in}
    )
    body_text = f'{head[:-1]}, "user": {answer.user_json}}}'
    return Response(body_text, media_type="application/json", headers=NO_STORE)
