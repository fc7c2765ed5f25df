"""A restore's plan: per playlist what is created, added and removed, and what cannot be
restored; the same for Liked Songs, albums and artists. Built from the source and what the
account holds now (its reads only: a plan writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kit.spotify.client import SpotifyRefused
from library.restores.edits import Edits, plan_edits
from library.restores.liked import DATES_KEPT, keeps_dates
from library.restores.model import ALBUMS, LIKED, PLAYLIST, Target
from library.restores.sources import FOLLOW_UNSUPPORTED, Source, SourcePlaylist, Unrestorable
from library.restores.spotify import SpotifyAccount

CREATE, REPLACE, NONE = "create", "replace", "none"
NOT_OWNER = "not_owner"


@dataclass
class PlaylistStep:
    playlist: SourcePlaylist
    action: str
    target_id: str = ""
    edits: Edits = Edits()
    removed_items: int = 0
    reason: Unrestorable | None = None

    def to_json(self) -> dict[str, Any]:
        lost = [u.to_json() for u in self.playlist.not_restorable]
        if self.reason is not None:
            lost.append(self.reason.to_json())
        return {
            "source_id": self.playlist.id,
            "name": self.playlist.name,
            "action": self.action,
            "target_id": self.target_id or None,
            "add": self.edits.added if self.action != NONE else 0,
            "remove": self.removed_items,
            "not_restorable": lost,
        }


def playlist_step(account: SpotifyAccount, playlist: SourcePlaylist, mode: str) -> PlaylistStep:
    if playlist.withheld:
        return PlaylistStep(playlist, NONE)
    if mode == "new":
        return PlaylistStep(playlist, CREATE, edits=plan_edits([], playlist.uris))
    try:
        found = account.playlist(playlist.id)
    except SpotifyRefused as refused:
        if refused.status != 404:
            raise
        # Gone from Spotify (or never this account's): made anew.
        return PlaylistStep(playlist, CREATE, edits=plan_edits([], playlist.uris))
    owner = str((found.get("owner") or {}).get("id") or "")
    if owner != account.user_id and not found.get("collaborative"):
        return PlaylistStep(
            playlist, NONE, reason=Unrestorable(f"spotify:playlist:{playlist.id}", NOT_OWNER)
        )
    current = account.playlist_uris(playlist.id)
    edits = plan_edits(current, playlist.uris)
    gone = set(edits.remove)
    removed = sum(1 for u in current if u in gone)
    return PlaylistStep(playlist, REPLACE, playlist.id, edits, removed)


def library_adds(wanted: list[str], current: list[str]) -> list[str]:
    """What to save, oldest first (each save goes on top, so the newest ends first)."""
    have = set(current)
    return [u for u in reversed(wanted) if u not in have]


def build_plan(
    account: SpotifyAccount,
    source: Source,
    mode: str,
    user_id: str,
    liked: bool,
    albums: bool,
    artists: bool,
    extended_quota: bool = False,
) -> tuple[dict[str, Any], list[Target]]:
    """The plan (docs/api.md's shape) and the targets a run writes, with their totals.
    `extended_quota`: the app may still use the older save that keeps Liked Songs' dates
    (library.restores.liked)."""
    steps = [playlist_step(account, p, mode) for p in source.playlists]
    targets: list[Target] = []
    for step in steps:
        if step.action != NONE:
            total = step.edits.added + step.removed_items
            targets.append(
                Target(len(targets), PLAYLIST, step.playlist.id, step.target_id, total=total)
            )
    plan: dict[str, Any] = {"playlists": [s.to_json() for s in steps]}
    if liked:
        adds = library_adds(source.liked, account.saved("tracks"))
        plan["liked"] = {
            "add": len(adds),
            "not_restorable": [u.to_json() for u in source.liked_not_restorable],
            DATES_KEPT: keeps_dates(source, extended_quota),
        }
        targets.append(Target(len(targets), LIKED, "liked", total=len(adds)))
    if albums:
        adds = library_adds(source.albums, account.saved("albums"))
        plan["albums"] = {"add": len(adds), "not_restorable": []}
        targets.append(Target(len(targets), ALBUMS, "albums", total=len(adds)))
    if artists:
        # Following has no 2026 endpoint for development-mode apps (PUT /me/following is
        # deprecated and gone, /me/library takes no artists): each one is listed.
        plan["artists"] = {
            "add": 0,
            "not_restorable": [
                Unrestorable(u, FOLLOW_UNSUPPORTED).to_json() for u in source.artists
            ],
        }
    return plan, targets
