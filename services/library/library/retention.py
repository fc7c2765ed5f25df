"""Which saves a retention rule keeps, the way restic's and borg's `forget`/`prune` decide:
newest first, keep the last N saves, then the newest save of each of the D most recent days
that have one, of the W most recent ISO weeks, and of the M most recent months (UTC). A
save kept by one part counts for the others too; what no part keeps is pruned.

Counting days that *have* a save, rather than the D calendar days before now, is what those
tools do: a laptop that was off for a month still keeps D daily saves, not none. The rule
never needs the time of day, so it is the same on every replica.

Beyond the rule, some saves always stay:
- saves still queued or running (they end first);
- for each kind, the newest save that completed it: reads show it, and the next save of that
  kind builds on it (a save of Liked Songs alone must not push out the last playlists);
- failed saves newer than every save that holds data: they show what went wrong, and hold
  nothing; once a later save holds data they go. The rule counts only the saves that hold
  data (succeeded, or partial with at least one kind completed).

Pure: no SQL, no gRPC."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kit import errors
from library.kinds import KINDS
from library.saves import Save

PARTS = ("last", "daily", "weekly", "monthly")
# Beyond this a number is a typo, not a rule (a thousand months is 83 years).
MOST = 1000


@dataclass(frozen=True)
class Rule:
    last: int
    daily: int
    weekly: int
    monthly: int

    def as_dict(self) -> dict[str, int]:
        return {part: getattr(self, part) for part in PARTS}


def rule_of(values: dict[str, object], default: Rule) -> Rule:
    """A rule from given parts, each an integer 0-1000; a part not given is the default's.
    InvalidArgument names the part that is wrong."""
    unknown = sorted(set(values) - set(PARTS))
    if unknown:
        raise errors.InvalidArgument(f"unknown retention parts: {', '.join(unknown)}")
    parts = default.as_dict()
    for part, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.InvalidArgument(f"{part} must be a whole number")
        if not 0 <= value <= MOST:
            raise errors.InvalidArgument(f"{part} must be between 0 and {MOST}")
        parts[part] = value
    return Rule(**parts)


def parse_rule(text: str) -> Rule:
    """TAPEDECK_RETENTION's form, `last=10,daily=14,weekly=8,monthly=24`: parts not named
    are 0. ValueError says what is wrong (settings turn it into one line)."""
    values: dict[str, object] = {}
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            continue
        name, sep, number = piece.partition("=")
        name = name.strip()
        if not sep or not number.strip().lstrip("-").isdigit():
            raise ValueError(f"{piece!r} is not part=number (e.g. last=10,daily=14)")
        if name in values:
            raise ValueError(f"{name} is given twice")
        values[name] = int(number)
    if not values:
        raise ValueError("give at least one of last, daily, weekly, monthly (e.g. last=10)")
    try:
        return rule_of(values, Rule(0, 0, 0, 0))
    except errors.InvalidArgument as exc:
        raise ValueError(exc.message) from None


def _day(at: datetime) -> Hashable:
    return at.date()


def _week(at: datetime) -> Hashable:
    year, week, _ = at.isocalendar()
    return (year, week)


def _month(at: datetime) -> Hashable:
    return (at.year, at.month)


def holds_data(save: Save) -> bool:
    return save.ended and any(save.completed(kind) for kind in save.kinds)


def kept(saves: Iterable[Save], rule: Rule) -> set[str]:
    """The ids of the saves to keep (every other save of the user is pruned)."""
    newest_first = sorted(saves, key=lambda s: (s.created_at, s.id), reverse=True)
    keep = {s.id for s in newest_first if not s.ended}
    with_data = [s for s in newest_first if holds_data(s)]
    keep.update(s.id for s in with_data[: rule.last])
    buckets: Sequence[tuple[Callable[[datetime], Hashable], int]] = (
        (_day, rule.daily),
        (_week, rule.weekly),
        (_month, rule.monthly),
    )
    for bucket_of, most in buckets:
        seen: set[Hashable] = set()
        for save in with_data:
            if len(seen) >= most:
                break
            bucket = bucket_of(save.created_at)
            if bucket not in seen:
                seen.add(bucket)
                keep.add(save.id)
    for kind in KINDS:
        newest = next((s for s in with_data if s.completed(kind)), None)
        if newest is not None:
            keep.add(newest.id)
    newest_data = with_data[0].created_at if with_data else None
    keep.update(
        s.id
        for s in newest_first
        if s.ended and not holds_data(s) and (newest_data is None or s.created_at > newest_data)
    )
    return keep
