"""What changed between two stored versions of a collection, occurrence by occurrence: the
events the library's ledger records when a save of a kind completes. Pure: it is handed the
listings' entries (and reads objects' JSON through a callback), and never calls Spotify.

An item's *occurrence* k is the k-th copy of its URI in a list; it is there while the list
holds at least k copies. So two copies of one track are two occurrences, and a track added,
removed and added again is one occurrence with two cycles. Which copy went or came is found
by the stored object first (a playlist item's object carries Spotify's `added_at`, so a copy
that stayed keeps its digest), then by order; the copies that stayed and changed their order
relative to the others (outside a longest run that kept its order) are `moved`."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

# Keys under which a wrapper object holds the item itself (a playlist item, a saved track or
# album); an artist is stored as itself.
_WRAPPED = ("item", "track", "album", "episode", "show")


@dataclass(frozen=True)
class Change:
    """One ledger event before the library gives it its save (see the Change message)."""

    type: str
    playlist_id: str = ""
    item_id: str = ""
    uri: str = ""
    item_json: str = ""
    occurrence: int = 0
    position: int | None = None
    from_position: int | None = None
    added_at: str = ""
    added_by_json: str = ""
    before: str | None = None
    after: str | None = None
    playlist_name: str = ""


class Row(NamedTuple):
    """An entry as the comparison needs it (no object): a plain tuple, since a large list's
    every entry is made into one and a dataclass per entry cost more than the rest."""

    position: int
    id: str
    uri: str
    name: str
    digest: str
    children: str | None
    withheld: bool

    @property
    def key(self) -> str:
        """What makes two items the same one across versions (as Ref.key)."""
        return self.uri or self.id


# A listing's entries (no objects), in position order.
EntriesOf = Callable[[str], Sequence[Row]]
# The stored JSON of objects by digest.
BodiesOf = Callable[[Iterable[str]], dict[str, str]]


def unwrap(body: str) -> tuple[str, str, str]:
    """(the item's JSON or "", Spotify's added_at, added_by as JSON) of a stored object."""
    obj = orjson.loads(body)
    if not isinstance(obj, dict):
        return "", "", ""
    item: Any = obj
    for key in _WRAPPED:
        if key in obj:
            item = obj[key]
            break
    added_at = obj.get("added_at")
    added_by = obj.get("added_by")
    return (
        orjson.dumps(item).decode() if item is not None else "",
        added_at if isinstance(added_at, str) else "",
        orjson.dumps(added_by).decode() if added_by is not None else "",
    )


def _kept_in_order(pairs: list[tuple[int, int]]) -> set[int]:
    """Of (old position, new position) pairs sorted by new position, the indexes of a
    longest run whose old positions also increase: those kept their order."""
    tails: list[int] = []
    tail_index: list[int] = []
    parent = [-1] * len(pairs)
    for i, (old, _) in enumerate(pairs):
        k = bisect.bisect_left(tails, old)
        if k == len(tails):
            tails.append(old)
            tail_index.append(i)
        else:
            tails[k] = old
            tail_index[k] = i
        parent[i] = tail_index[k - 1] if k > 0 else -1
    kept: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        kept.add(i)
        i = parent[i]
    return kept


def _copies(
    old: Sequence[Row],
    new: Sequence[Row],
    was: list[int],
    now: list[int],
    added: list[tuple[int, int]],
    removed: list[tuple[int, int]],
    pairs: list[tuple[int, int, int]] | None,
) -> None:
    """Matches the copies of one URI: the same stored object first (a copy that stayed),
    then by order; what is left over came (occurrences above the old count) or went."""
    matched: dict[int, int] = {}
    free = list(was)
    for n in now:
        digest = new[n].digest
        for j, o in enumerate(free):
            if old[o].digest == digest:
                matched[n] = o
                del free[j]
                break
    rest = [n for n in now if n not in matched]
    for n, o in zip(rest, free, strict=False):
        matched[n] = o
    if pairs is not None:
        occurrence_of = {n: k + 1 for k, n in enumerate(now)}
        pairs.extend((n, o, occurrence_of[n]) for n, o in matched.items())
    added.extend((n, k) for k, n in enumerate(rest[len(free) :], start=len(was) + 1))
    removed.extend((o, k) for k, o in enumerate(sorted(free[len(rest) :]), start=len(now) + 1))


def list_changes(
    old: Sequence[Row],
    new: Sequence[Row],
    bodies: BodiesOf,
    *,
    playlist_id: str = "",
    playlist_name: str = "",
    moves: bool = False,
) -> list[Change]:
    """added/removed per occurrence (and, with `moves`, moved) between two lists of entries;
    only the objects of the entries that changed are read (`bodies`)."""
    old_by: dict[str, list[int]] = {}
    new_by: dict[str, list[int]] = {}
    for i, entry in enumerate(old):
        old_by.setdefault(entry.key, []).append(i)
    for i, entry in enumerate(new):
        new_by.setdefault(entry.key, []).append(i)

    added: list[tuple[int, int]] = []  # (index in new, occurrence)
    removed: list[tuple[int, int]] = []  # (index in old, occurrence)
    pairs: list[tuple[int, int, int]] = []  # (new index, old index, occurrence)
    for key, now in new_by.items():
        was = old_by.get(key)
        if was is None:
            added.extend((n, k) for k, n in enumerate(now, start=1))
        elif len(was) == 1 and len(now) == 1:  # most items: one copy, still there
            if moves:
                pairs.append((now[0], was[0], 1))
        else:
            _copies(old, new, was, now, added, removed, pairs if moves else None)
    for key, was in old_by.items():
        if key not in new_by:
            removed.extend((o, k) for k, o in enumerate(was, start=1))

    if moves and pairs:
        pairs.sort()
        kept = _kept_in_order([(o, n) for n, o, _ in pairs])
        moved = [(n, o, k) for i, (n, o, k) in enumerate(pairs) if i not in kept]
    else:
        moved = []
    removed.sort()
    added.sort()
    text = bodies(
        [old[o].digest for o, _ in removed]
        + [new[n].digest for n, _ in added]
        + [new[n].digest for n, _, _ in moved]
    )

    def change(kind: str, entry: Row, occurrence: int, **at: Any) -> Change:
        item_json, added_at, added_by = unwrap(text.get(entry.digest, "null"))
        return Change(
            kind,
            playlist_id=playlist_id,
            item_id=entry.id,
            uri=entry.uri,
            item_json=item_json,
            occurrence=occurrence,
            added_at=added_at,
            added_by_json=added_by,
            playlist_name=playlist_name,
            **at,
        )

    changes = [change("removed", old[o], k, position=old[o].position) for o, k in removed]
    changes.extend(change("added", new[n], k, position=new[n].position) for n, k in added)
    changes.extend(
        change("moved", new[n], k, position=new[n].position, from_position=old[o].position)
        for n, o, k in moved
    )
    return changes


def _description(body: str | None) -> str:
    obj = orjson.loads(body) if body else None
    value = obj.get("description") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


def playlist_changes(
    old: Sequence[Row],
    new: Sequence[Row],
    entries_of: EntriesOf,
    bodies: BodiesOf,
) -> Iterator[Change]:
    """The playlists kind: each playlist's own changes (followed or unfollowed, renamed, its
    description, withheld or visible) and its items' changes. A playlist that went away, or
    whose items Spotify now withholds, loses every item occurrence (removed); one that came,
    or became visible, gains them (added): the ledger says only what a save could see. An
    unchanged playlist (same object, same item listing) is not read at all."""
    before = {entry.key: entry for entry in old}
    now = {entry.key for entry in new}
    # The playlist objects that changed, for their descriptions (names are on the entries).
    changed = [
        digest
        for entry in new
        if (was := before.get(entry.key)) is not None and was.digest != entry.digest
        for digest in (was.digest, entry.digest)
    ]
    text = bodies(changed) if changed else {}

    def items(entry: Row | None) -> Sequence[Row]:
        if entry is None or entry.withheld or entry.children is None:
            return []
        return entries_of(entry.children)

    for entry in new:
        pid, name = entry.id, entry.name
        was = before.get(entry.key)
        if was is None:
            yield Change("playlist_added", playlist_id=pid, playlist_name=name)
            if entry.withheld:
                yield Change("withheld", playlist_id=pid, playlist_name=name)
            yield from list_changes([], items(entry), bodies, playlist_id=pid, playlist_name=name)
            continue
        if was.digest != entry.digest:
            if was.name != name:
                yield Change(
                    "renamed", playlist_id=pid, before=was.name, after=name, playlist_name=name
                )
            a = _description(text.get(was.digest))
            b = _description(text.get(entry.digest))
            if a != b:
                yield Change(
                    "description_changed", playlist_id=pid, before=a, after=b, playlist_name=name
                )
        if was.withheld != entry.withheld:
            kind = "withheld" if entry.withheld else "visible"
            yield Change(kind, playlist_id=pid, playlist_name=name)
        if was.withheld == entry.withheld and was.children == entry.children:
            continue
        yield from list_changes(
            items(was), items(entry), bodies, playlist_id=pid, playlist_name=name, moves=True
        )
    for key, entry in before.items():
        if key in now:
            continue
        pid, name = entry.id, entry.name
        yield Change("playlist_removed", playlist_id=pid, playlist_name=name)
        yield from list_changes(items(entry), [], bodies, playlist_id=pid, playlist_name=name)
