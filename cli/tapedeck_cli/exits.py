"""Exit codes and the one error type the commands raise.

Scripts and cron jobs branch on the exit code, so each kind of failure a person would act on
differently has its own: start the server, log in again, look at the save, fix the command.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Exit(IntEnum):
    OK = 0
    # The server refused the request for another reason (an unknown id, a save already
    # running, a rate limit), or a local file could not be written.
    FAILED = 1
    # Click's own code for a command line it cannot parse; the server's 400 and 422 too.
    USAGE = 2
    # Nothing answers at the server's address, or it answers 503 (a backend is down).
    SERVER_DOWN = 3
    # No token stored, or the server refused it (401): log in again.
    NOT_LOGGED_IN = 4
    # A save (or another job followed to its end) ended `failed` or `partial`.
    SAVE_FAILED = 5


class CliError(Exception):
    """A failure to report on one line and exit with `code`; `main.run` does both."""

    def __init__(
        self,
        message: str,
        code: Exit = Exit.FAILED,
        status: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # The server's HTTP status and error body, when the server refused the request.
        self.status = status
        self.body = body or {}
