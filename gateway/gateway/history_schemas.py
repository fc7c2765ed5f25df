"""The History routes' bodies (docs/api.md "History") for the OpenAPI document, as
gateway.schemas does for the others: they describe what the library's JSON holds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway.kinds import KindName
from gateway.schemas import JsonObject, Page

EventType = Literal[
    "added",
    "removed",
    "moved",
    "renamed",
    "description_changed",
    "playlist_added",
    "playlist_removed",
    "withheld",
    "visible",
]


class Event(BaseModel):
    id: str
    save_id: str
    at: datetime = Field(description="the save's finished time")
    kind: KindName
    type: EventType
    playlist_id: str | None
    uri: str | None = Field(description="the item's URI; null for a playlist's own events")
    item: JsonObject | None = Field(description="the stored track, episode, album or artist")
    occurrence: int | None = Field(
        description="which copy of the URI in its list: 1 for the first, 2 for a second..."
    )
    position: int | None
    from_position: int | None = Field(description="where a moved item was")
    added_at: str | None = Field(description="Spotify's, when it gave one")
    added_by: JsonObject | None = Field(description="Spotify's, when it gave one")
    before: str | None = Field(description="the old name or description")
    after: str | None = Field(description="the new name or description")


class EventPage(Page):
    items: list[Event]


class Cycle(BaseModel):
    added: datetime = Field(description="the save that first saw it this time")
    removed: datetime | None = Field(description="the save that no longer saw it; null: there")


class CumulativeEntry(BaseModel):
    uri: str | None
    item: JsonObject | None
    occurrence: int = Field(description="1 for the first copy of the URI, 2 for a second...")
    first_seen: datetime
    last_seen: datetime
    added_at: str | None = Field(description="Spotify's, the latest")
    present: bool = Field(description="whether the newest save holds it")
    cycles: list[Cycle]


class CumulativePage(Page):
    items: list[CumulativeEntry]
