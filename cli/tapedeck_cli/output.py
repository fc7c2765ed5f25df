"""How results reach the terminal: tables for people, tab-separated lines when stdout is a
pipe (one row a line, no header, easy to cut), JSON for scripts with --json; notes and
progress go to stderr, so stdout holds only the result."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def stdout() -> Console:
    return Console(highlight=False)


def note(message: str | Text) -> None:
    """A line for the person at the terminal; never markup (names may hold brackets)."""
    stderr().print(message if isinstance(message, Text) else Text(message))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def print_json_array(items: Iterable[Any]) -> int:
    """Writes a JSON array item by item as they come (a large library never sits whole in
    memory); returns how many were written. Nothing is written until the first page has
    come: a refused read leaves stdout empty, not a lone `[`."""
    rest = iter(items)
    first = next(rest, _NOTHING)
    out = sys.stdout
    if first is _NOTHING:
        out.write("[]\n")
        return 0
    out.write("[\n  " + json.dumps(first, ensure_ascii=False))
    count = 1
    for item in rest:
        out.write(",\n  " + json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


_NOTHING = object()


WHOLE = frozenset({"ID", "#", "Added", "Started", "Length", "Released", "Items", "Requests"})


def print_rows(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """A table in a terminal, tab-separated lines in a pipe; returns the number of rows.
    Ids are never cut short (people copy them into the next command), nor dates and numbers."""
    if not sys.stdout.isatty():
        count = 0
        for row in rows:
            sys.stdout.write("\t".join(_one_line(cell) for cell in row) + "\n")
            count += 1
        return count
    table = Table(highlight=False)
    whole = [i for i, name in enumerate(columns) if name in WHOLE]
    listed = [[Text(cell) for cell in cells] for cells in rows]
    for i, name in enumerate(columns):
        if i in whole:
            width = max((len(cells[i]) for cells in listed), default=len(name))
            table.add_column(name, no_wrap=True, min_width=width)
        else:
            # Other cells wrap rather than lose their end.
            table.add_column(name, overflow="fold")
    for cells in listed:
        table.add_row(*cells)
    if listed:
        stdout().print(table)
    return len(listed)


def _one_line(cell: str) -> str:
    return cell.replace("\t", " ").replace("\r", " ").replace("\n", " ")
