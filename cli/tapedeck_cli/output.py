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
    memory); returns how many were written."""
    count = 0
    out = sys.stdout
    out.write("[")
    for item in items:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def print_rows(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """A table in a terminal, tab-separated lines in a pipe; returns the number of rows."""
    count = 0
    if not sys.stdout.isatty():
        for row in rows:
            sys.stdout.write("\t".join(_one_line(cell) for cell in row) + "\n")
            count += 1
        return count
    table = Table(*columns, highlight=False)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
        count += 1
    stdout().print(table)
    return count


def _one_line(cell: str) -> str:
    return cell.replace("\t", " ").replace("\r", " ").replace("\n", " ")
