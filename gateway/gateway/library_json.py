"""The JSON of docs/api.md for the library service's messages: save objects and diffs."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.collection.v1 import messages_pb2
from tapedeck.library.v1 import library_pb2

from gateway.kinds import kind_name


def _status(value: int) -> str:
    return library_pb2.SaveStatus.Name(value).removeprefix("SAVE_STATUS_").lower()


def _time(message: Any, name: str) -> str | None:
    if not message.HasField(name):
        return None
    ts: Timestamp = getattr(message, name)
    return ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def save_json(save: library_pb2.Save) -> dict[str, Any]:
    kinds = [kind_name(k) for k in save.kinds]
    return {
        "id": save.id,
        "status": _status(save.status),
        "kinds": kinds,
        "full": save.full,
        "created_at": _time(save, "created_at"),
        "started_at": _time(save, "started_at"),
        "finished_at": _time(save, "finished_at"),
        "progress": {
            kind: {
                "done": save.progress[kind].done,
                "total": save.progress[kind].total if save.progress[kind].total_known else None,
            }
            for kind in kinds
            if kind in save.progress
        },
        "counts": {kind: save.counts[kind] for kind in kinds if kind in save.counts},
        "spotify_requests": save.spotify_requests,
        "error": {
            "code": save.error.code,
            "message": save.error.message,
            "kinds": [kind_name(k) for k in save.error.kinds],
        }
        if save.HasField("error")
        else None,
    }


def _ref(ref: messages_pb2.ItemRef) -> dict[str, str]:
    return {"id": ref.id, "uri": ref.uri, "name": ref.name}


def diff_json(diff: library_pb2.DiffResponse) -> dict[str, Any]:
    """Every kind is present; a kind the two saves did not both hold has no changes."""
    body: dict[str, Any] = {
        "from": diff.from_save_id or None,
        "to": diff.to_save_id,
        "playlists": {"added": [], "removed": [], "changed": []},
        "tracks": {"added": [], "removed": []},
        "albums": {"added": [], "removed": []},
        "artists": {"added": [], "removed": []},
    }
    for kind_comparison in diff.kinds:
        kind = kind_name(kind_comparison.kind)
        if kind not in body:
            continue
        comparison = kind_comparison.comparison
        body[kind]["added"] = [_ref(r) for r in comparison.added]
        body[kind]["removed"] = [_ref(r) for r in comparison.removed]
        if kind == "playlists":
            body[kind]["changed"] = [
                {
                    "id": c.item.id,
                    "name": c.item.name,
                    "tracks_added": [_ref(r) for r in c.added],
                    "tracks_removed": [_ref(r) for r in c.removed],
                }
                for c in comparison.changed
            ]
    return body
