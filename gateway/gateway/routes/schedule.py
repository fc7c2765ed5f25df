"""Automatic saves: the user's schedule (docs/api.md "Automatic saves: the schedule")."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.library.v1 import library_pb2

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep, CurrentUser
from gateway.openapi import AUTHENTICATED, error_responses

router = APIRouter(tags=["schedule"], route_class=JsonBodyRoute)


class Schedule(BaseModel):
    every: Literal["daily", "weekly"] | None = Field(
        description="how often a save starts by itself; null: no automatic saves"
    )
    next_at: str | None = Field(
        description="when the next automatic save starts (UTC, ISO 8601); null when off"
    )


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # Any string is taken here and checked by the library: an unknown period is 400 (input
    # well-formed but refused, like a retention rule's value out of range), a field of
    # another type 422. The document still names the values that are accepted.
    every: str | None = Field(
        description='"daily", "weekly", or null to turn them off',
        json_schema_extra={"enum": ["daily", "weekly", None]},
    )


def _schedule_json(schedule: library_pb2.Schedule) -> dict[str, Any]:
    if not schedule.every:
        return {"every": None, "next_at": None}
    at = schedule.next_at.ToDatetime(tzinfo=UTC)
    return {"every": schedule.every, "next_at": at.isoformat().replace("+00:00", "Z")}


@router.get(
    "/api/v1/library/schedule",
    response_model=Schedule,
    responses=error_responses(*AUTHENTICATED),
)
async def get_schedule(user: CurrentUser, backends: BackendsDep) -> dict[str, Any]:
    answer = await backends.library.GetSchedule(library_pb2.GetScheduleRequest(user_id=user.id))
    return _schedule_json(answer.schedule)


@router.put(
    "/api/v1/library/schedule",
    response_model=Schedule,
    responses=error_responses(400, *AUTHENTICATED, 413, 422),
)
async def put_schedule(
    user: CurrentUser,
    backends: BackendsDep,
    body: Annotated[ScheduleRequest, Body()],
) -> dict[str, Any]:
    answer = await backends.library.SetSchedule(
        library_pb2.SetScheduleRequest(user_id=user.id, every=body.every)
    )
    return _schedule_json(answer.schedule)
