"""The line that says why a process stopped: the last error in what it logged since this
start (a JSON log line at ERROR or above, or a plain line such as a traceback's last)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

LONGEST = 400


def log_sizes(log_dir: Path, names: list[str]) -> dict[str, int]:
    """Where each process's log ends before this start: supervisord appends to them."""
    sizes: dict[str, int] = {}
    for name in names:
        try:
            sizes[name] = (log_dir / f"{name}.log").stat().st_size
        except FileNotFoundError:
            sizes[name] = 0
    return sizes


def exit_cause(supervisord_log: Path, offset: int, name: str) -> str | None:
    """How the process last ended, as supervisord logged it ("exit status 1", "terminated
    by SIGKILL")."""
    found = re.findall(
        rf"exited: {re.escape(name)} \(([^;)]+)", _since(supervisord_log, offset) or ""
    )
    return found[-1] if found else None


def unexpected_exits(supervisord_log: Path, offset: int, name: str) -> list[float]:
    """When the process exited unexpectedly, in seconds since the epoch, as supervisord
    logged it: a look now and then misses exits that a quick restart hides."""
    found = re.findall(
        rf"^(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) \w+ exited: {re.escape(name)} \([^)]*not expected\)",
        _since(supervisord_log, offset) or "",
        flags=re.MULTILINE,
    )
    return [datetime.strptime(f, "%Y-%m-%d %H:%M:%S,%f").timestamp() for f in found]


def last_error(log: Path, offset: int) -> str | None:
    text = _since(log, offset)
    if text is None:
        return None
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line:
            continue
        found = _from_json(line)
        if found is None:
            return _short(line)
        if found:
            return _short(found)
    return None


def _since(log: Path, offset: int) -> str | None:
    try:
        with log.open("rb") as f:
            if f.seek(0, 2) < offset:  # rotated since: all of it is new
                offset = 0
            f.seek(offset)
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return None


def _from_json(line: str) -> str | None:
    """None for a line that is not a JSON log record; "" for one below ERROR."""
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    if str(record.get("level", "")).upper() not in ("ERROR", "CRITICAL"):
        return ""
    message = str(record.get("message", ""))
    trace = str(record.get("exc_info") or "").strip()
    if trace:
        message = f"{message}: {trace.splitlines()[-1]}"
    return message or line


def _short(line: str) -> str:
    return line if len(line) <= LONGEST else line[: LONGEST - 1] + "…"
