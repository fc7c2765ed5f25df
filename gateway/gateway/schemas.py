"""The bodies the gateway answers, as pydantic models for the OpenAPI document: they mirror
the JSON of docs/api.md (a test validates real answers against them). Most routes build
their JSON themselves (Spotify's objects are spliced in as stored), so these models
describe, and do not produce, what is sent.

Spotify's objects keep every key Spotify sent: their models name the keys Tapedeck relies
on and allow the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JsonObject = dict[str, Any]


class ErrorDetail(BaseModel):
    status: int = Field(description="the HTTP status again")
    code: str = Field(description="stable snake_case name, meant for programs")
    message: str = Field(description="a sentence meant for people; do not parse it")


class ErrorBody(BaseModel):
    """Every error, from every route (docs/api.md "Errors"). Some add a key next to
    `error`."""

    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ok"]
    services: dict[str, str] = Field(description="each backend's gRPC health status")


class NotReadyBody(ErrorBody):
    services: dict[str, str] = Field(
        description="each backend's gRPC health status; UNREACHABLE when it did not answer"
    )


class SpotifyObject(BaseModel):
    """An object as Spotify returned it, every key kept."""

    model_config = ConfigDict(extra="allow")


class SpotifyUser(SpotifyObject):
    id: str


class UserNotes(BaseModel):
    spotify_authorization_lost: bool = Field(
        description="Spotify no longer accepts the stored login: what is saved stays readable, "
        "new saves are refused until the person logs in with Spotify again"
    )


class Me(SpotifyUser):
    """The stored Spotify user object, with Tapedeck's key."""

    tapedeck: UserNotes


class PersonalToken(BaseModel):
    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None = Field(description="null: never expires")


class NewPersonalToken(PersonalToken):
    token: str = Field(description="the secret, shown this once: send it as Authorization: Bearer")


class PersonalTokenList(BaseModel):
    items: list[PersonalToken]


class RecoveryCodes(BaseModel):
    codes: list[str] = Field(description="ten single-use codes, shown this once")


class LoginAnswer(BaseModel):
    token: str = Field(description="the Tapedeck token: send it as Authorization: Bearer")
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds the token lives")
    user: SpotifyUser


class KindProgress(BaseModel):
    done: int
    total: int | None = Field(description="null until Spotify has told it")


class SaveError(BaseModel):
    code: str
    message: str
    kinds: list[str] = Field(description="the kinds that failed")


class Save(BaseModel):
    """A save object (docs/api.md "The save object")."""

    id: str
    status: Literal["queued", "running", "succeeded", "partial", "failed"]
    kinds: list[str] = Field(description="playlists, tracks, albums, artists")
    full: bool
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, KindProgress]
    counts: dict[str, int] = Field(description="per kind that completed: its items")
    spotify_requests: int
    error: SaveError | None


class ConflictBody(ErrorBody):
    save: Save = Field(description="the save already running")


class Page(BaseModel):
    """Spotify's paging (docs/api.md "Paging"); each route's page names its items."""

    total: int
    limit: int
    offset: int
    next: str | None = Field(description="the next page's absolute URL; null on the last")
    previous: str | None = Field(description="the previous page's URL; null on the first")


class SavePage(Page):
    items: list[Save]


class PlaylistNotes(BaseModel):
    items_saved: int
    items_withheld: bool


class Playlist(SpotifyObject):
    """Spotify's playlist object (simplified in lists, full alone), with Tapedeck's key."""

    id: str
    name: str
    uri: str
    tapedeck: PlaylistNotes


class PlaylistPage(Page):
    items: list[Playlist]


class PlaylistItem(SpotifyObject):
    """A playlist item as Spotify sent it: the object under `item` (2026) and/or `track`
    (older), which may be a track, an episode or null."""

    added_at: str | None
    is_local: bool
    item: JsonObject | None = None
    track: JsonObject | None = None


class PlaylistItemPage(Page):
    items: list[PlaylistItem]


class SavedTrack(SpotifyObject):
    added_at: str
    track: JsonObject


class SavedTrackPage(Page):
    items: list[SavedTrack]


class SavedAlbum(SpotifyObject):
    added_at: str
    album: JsonObject


class SavedAlbumPage(Page):
    items: list[SavedAlbum]


class Artist(SpotifyObject):
    id: str
    name: str
    uri: str


class ArtistPage(Page):
    items: list[Artist]


class ItemRef(BaseModel):
    id: str
    uri: str
    name: str


class Changes(BaseModel):
    added: list[ItemRef]
    removed: list[ItemRef]


class ChangedPlaylist(BaseModel):
    id: str
    name: str
    tracks_added: list[ItemRef]
    tracks_removed: list[ItemRef]


class PlaylistChanges(Changes):
    changed: list[ChangedPlaylist]


class Diff(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(alias="from", description="null when there is no earlier save")
    to: str
    playlists: PlaylistChanges
    tracks: Changes
    albums: Changes
    artists: Changes
