"""The restores' and imports' bodies as pydantic models, for the OpenAPI document (they
describe what gateway.routes.restores and .imports send; docs/api.md "Restores")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway.schemas import Page


class NotRestorable(BaseModel):
    uri: str | None
    reason: str = Field(
        description="local_file, unavailable, withheld, not_owner, follow_unsupported, no_uri"
    )


class PlaylistStep(BaseModel):
    source_id: str
    name: str
    action: Literal["create", "replace", "none"]
    target_id: str | None
    add: int
    remove: int
    not_restorable: list[NotRestorable]


class LibraryStep(BaseModel):
    add: int
    not_restorable: list[NotRestorable]


class LikedStep(LibraryStep):
    dates_kept: bool = Field(
        default=False,
        description="Liked Songs keep the dates they were first liked (the older PUT "
        "/me/tracks, for extended-quota apps, from a save); false: each is liked at the time "
        "of the restore (PUT /me/library). A dry run tells what TAPEDECK_SPOTIFY_EXTENDED_QUOTA "
        "promises; a restore, what happened (absent from restores made before it was told: false)",
    )


class Plan(BaseModel):
    playlists: list[PlaylistStep]
    liked: LikedStep | None = None
    albums: LibraryStep | None = None
    artists: LibraryStep | None = None


class RestoreProgress(BaseModel):
    done: int
    total: int


class RestoreError(BaseModel):
    code: str
    message: str


class Restore(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "partial", "failed", "cancelled"]
    dry_run: bool
    mode: Literal["new", "replace"]
    source: dict[str, str | None] = Field(description='{"save": id} or {"import": id}')
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    plan: Plan | None = Field(description="null until the job has looked at the account")
    progress: RestoreProgress
    spotify_requests: int
    error: RestoreError | None


class RestorePage(Page):
    items: list[Restore]


class ImportedPlaylist(BaseModel):
    id: str = Field(description="the import's own id for it: name it in a restore")
    name: str
    items: int
    unresolved: int = Field(description="rows without a Spotify URI: reported, not guessed")


class Import(BaseModel):
    id: str
    format: Literal["exportify", "exportify_extended", "tapedeck_json", "uris"]
    created_at: datetime
    playlists: list[ImportedPlaylist]
    liked: int
    albums: int


class ImportPage(Page):
    items: list[Import]


def restore_event_stream() -> dict[str, Any]:
    """`progress` events then `done`, each a restore object (JSON text)."""
    return {
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "required": ["event", "data"],
                    "properties": {
                        "event": {"enum": ["progress", "done", "error"]},
                        "data": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": {"$ref": "#/components/schemas/Restore"},
                        },
                    },
                }
            }
        }
    }
