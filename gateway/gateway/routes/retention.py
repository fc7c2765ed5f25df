"""Which saves are kept: the user's retention rule, and deleting one save (docs/api.md
"Retention and schedule")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.library.v1 import library_pb2

from gateway.bodies import JsonBodyRoute
from gateway.cache import of_app
from gateway.deps import BackendsDep, CurrentUser
from gateway.openapi import AUTHENTICATED, error_responses

router = APIRouter(tags=["retention"], route_class=JsonBodyRoute)

_PART = "0-1000; absent: the server's default (TAPEDECK_RETENTION)"
_RANGE: dict[str, Any] = {"minimum": 0, "maximum": 1000}
# The wire's int32; anything beyond is out of 0-1000 all the same, which the library says.
_INT32 = 2**31 - 1


class Retention(BaseModel):
    """A retention rule: keep the last `last` saves, and the newest save of each of the
    `daily` most recent days that have one, of the `weekly` most recent weeks and of the
    `monthly` most recent months (UTC)."""

    last: int = Field(description="0-1000")
    daily: int = Field(description="0-1000")
    weekly: int = Field(description="0-1000")
    monthly: int = Field(description="0-1000")


class RetentionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # The range is documented, not checked here: the library refuses a number out of it with
    # 400 (docs/api.md), where a malformed body is 422.
    last: int | None = Field(default=None, description=_PART, json_schema_extra=_RANGE)
    daily: int | None = Field(default=None, description=_PART, json_schema_extra=_RANGE)
    weekly: int | None = Field(default=None, description=_PART, json_schema_extra=_RANGE)
    monthly: int | None = Field(default=None, description=_PART, json_schema_extra=_RANGE)


def _rule_json(rule: library_pb2.RetentionRule) -> dict[str, int]:
    return {
        "last": rule.last,
        "daily": rule.daily,
        "weekly": rule.weekly,
        "monthly": rule.monthly,
    }


def _wire(value: int | None) -> int | None:
    return None if value is None else max(-_INT32, min(_INT32, value))


@router.get(
    "/api/v1/library/retention",
    response_model=Retention,
    responses=error_responses(*AUTHENTICATED),
)
async def get_retention(user: CurrentUser, backends: BackendsDep) -> dict[str, int]:
    answer = await backends.library.GetRetention(library_pb2.GetRetentionRequest(user_id=user.id))
    return _rule_json(answer.rule)


@router.put(
    "/api/v1/library/retention",
    response_model=Retention,
    responses=error_responses(400, *AUTHENTICATED, 413, 422),
)
async def put_retention(
    user: CurrentUser,
    backends: BackendsDep,
    body: Annotated[RetentionRequest, Body()],
) -> dict[str, int]:
    answer = await backends.library.SetRetention(
        library_pb2.SetRetentionRequest(
            user_id=user.id,
            last=_wire(body.last),
            daily=_wire(body.daily),
            weekly=_wire(body.weekly),
            monthly=_wire(body.monthly),
        )
    )
    return _rule_json(answer.rule)


@router.delete(
    "/api/v1/library/saves/{save_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(*AUTHENTICATED, 404, 409),
)
async def delete_save(
    request: Request, save_id: str, user: CurrentUser, backends: BackendsDep
) -> Response:
    await backends.library.DeleteSave(
        library_pb2.DeleteSaveRequest(user_id=user.id, save_id=save_id)
    )
    # This gateway's reads of the user may have resolved to that save: no longer.
    of_app(request.app.state).latest.save_changed(user.id, save_id, ended=True)
    return Response(status_code=204)
