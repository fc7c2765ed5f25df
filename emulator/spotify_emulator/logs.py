"""JSON lines on stdout, as every Tapedeck process logs (kit.logs), in the standard library
alone: the emulator depends on nothing. Never a colour code, and never a secret: the client
secret and anything shaped like a token or an authorization code is blanked out of every
line, whatever logged it."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

SERVICE = "emulator"
REDACTED = "[redacted]"

# Access tokens, refresh tokens and authorization codes: "AQ"/"BQ" and 128 URL-safe
# characters (tokens.py). Ids (22 characters) and snapshot ids are far shorter.
_TOKEN = re.compile(r"(?:AQ|BQ)[A-Za-z0-9_-]{40,}")

# Attributes every LogRecord has: anything else on a record came as `extra=` and is logged.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with kit.logs' field names: time, level, logger, message,
    service, then the record's `extra` fields and, after an exception, exc_info."""

    def __init__(self, service: str = SERVICE, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.service = service
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(line, default=str, ensure_ascii=False))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN.sub(REDACTED, text)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> JsonFormatter:
    """Every logger of the process (the root's only handler) writes JSON lines to stdout.
    Returns the formatter, so secrets learnt later can be added to what it blanks out."""
    formatter = JsonFormatter(SERVICE, secrets)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return formatter
