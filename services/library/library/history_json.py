"""The ledger's reads as docs/api.md's JSON ("History"): an event, a cumulative entry. Items
are spliced in as stored, never parsed again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from library.ledger import Event, Occurrence


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _with_item(fields: dict[str, Any], item_json: str | None) -> str:
    """`fields` as JSON with "item" added from its stored text (or null)."""
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return f'{text[:-1]},"item":{item_json or "null"}}}'


def event_json(event: Event) -> str:
    return _with_item(
        {
            "id": str(event.id),
            "save_id": event.save_id,
            "at": iso(event.at),
            "kind": event.kind,
            "type": event.type,
            "playlist_id": event.playlist_id,
            "uri": event.uri,
            "occurrence": event.occurrence or None,
            "position": event.position,
            "from_position": event.from_position,
            "added_at": event.added_at,
            "added_by": json.loads(event.added_by_json) if event.added_by_json else None,
            "before": event.before,
            "after": event.after,
        },
        event.item_json,
    )


def occurrence_json(row: Occurrence) -> str:
    return _with_item(
        {
            "uri": row.uri or None,
            "occurrence": row.occurrence,
            "first_seen": iso(row.first_seen),
            "last_seen": iso(row.last_seen),
            "added_at": row.added_at,
            "present": row.present,
            "cycles": [
                {"added": iso(c.added), "removed": iso(c.removed) if c.removed else None}
                for c in row.cycles
            ],
        },
        row.item_json,
    )
