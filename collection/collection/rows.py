"""Entries as the rows the store inserts, with the objects they refer to by digest, and the
digest lines that seal a listing. Done on the fetching threads, so the writer only inserts;
no SQLAlchemy here."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from collection.model import Entry, digest, json_text


@dataclass
class Encoded:
    """Entries of one listing turned into rows, and the objects they refer to by digest:
    what the writer stores, far smaller than the parsed JSON it came from."""

    listing_id: str
    # In ENTRY_COLUMNS order.
    rows: list[tuple[Any, ...]]
    objects: dict[str, str]

    def lines(self) -> list[tuple[int, str]]:
        """(position, what the listing's digest covers of that entry)."""
        return [(row[1], line_of(row[6], row[7], row[8], row[9], row[5])) for row in self.rows]


ENTRY_COLUMNS = (
    "listing_id",
    "position",
    "item_id",
    "uri",
    "name",
    "tag",
    "object_digest",
    "detail_digest",
    "children_id",
    "withheld",
)


def line_of(
    obj: str, detail: str | None, children: str | None, withheld: bool, tag: str | None
) -> str:
    return f"{obj}|{detail}|{children}|{int(withheld)}|{tag}\n"


def content_digest(lines: Iterable[str]) -> str:
    """A listing's digest: over its entries' lines in position order."""
    hasher = hashlib.sha256()
    for line in lines:
        hasher.update(line.encode())
    return hasher.hexdigest()


def encode_entries(listing_id: str, entries: Sequence[Entry]) -> Encoded:
    """Entries as rows, with the objects (and details) they refer to, keyed by digest."""
    objects: dict[str, str] = {}
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        body = json_text(entry.obj)
        object_digest = digest(body)
        objects[object_digest] = body
        detail_digest = entry.detail_digest
        if entry.detail is not None:
            detail = json_text(entry.detail)
            detail_digest = digest(detail)
            objects[detail_digest] = detail
        rows.append(
            (
                listing_id,
                entry.position,
                entry.ref.id or None,
                entry.ref.uri or None,
                entry.ref.name or None,
                entry.tag,
                object_digest,
                detail_digest,
                entry.children,
                entry.withheld,
            )
        )
    return Encoded(listing_id, rows, objects)


def new_listing_id() -> str:
    return uuid.uuid4().hex
