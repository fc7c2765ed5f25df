"""Why a process stopped, from the logs: the exits supervisord records, and the last error
a process logged (a JSON log line at ERROR or above, or a plain line such as a traceback's
last)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LONGEST = 400

# supervisord's line for an exit it was not asked for, expected exit code or not: every
# program is restarted whatever its code (its log's time is local).
_EXIT = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) \w+ exited: (\S+) \(([^;)]*); (?:not )?expected\)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Exit:
    name: str
    # Seconds since the epoch.
    when: float
    # "exit status 1", "terminated by SIGKILL"
    cause: str


class Logs:
    """Reads each log from where it ended at the last read (or before this start: supervisord
    appends to them), so every exit and every error line is read once."""

    def __init__(self, log_dir: Path, names: list[str]) -> None:
        self.log_dir = log_dir
        self._offsets = {name: _size(self.path(name)) for name in ("supervisord", *names)}

    def path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def exits(self) -> list[Exit]:
        """The unexpected exits supervisord logged since the last call."""
        return [
            Exit(name, datetime.strptime(when, "%Y-%m-%d %H:%M:%S,%f").timestamp(), cause)
            for when, name, cause in _EXIT.findall(self._read("supervisord"))
        ]

    def last_error(self, name: str) -> str | None:
        """The last error line the process logged since the last call."""
        for line in reversed(self._read(name).splitlines()):
            line = line.strip()
            if not line:
                continue
            found = _from_json(line)
            if found is None:
                return _short(line)
            if found:
                return _short(found)
        return None

    def _read(self, name: str) -> str:
        offset = self._offsets.get(name, 0)
        try:
            with self.path(name).open("rb") as f:
                end = f.seek(0, 2)
                if end < offset:  # rotated since: all of it is new
                    offset = 0
                f.seek(offset)
                data = f.read(end - offset)
        except FileNotFoundError:
            return ""
        # Up to the last whole line: supervisord may be writing the next.
        whole = data.rfind(b"\n") + 1
        self._offsets[name] = offset + whole
        return data[:whole].decode(errors="replace")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


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
