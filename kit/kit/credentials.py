"""Per-caller internal credentials: each process presents its name and a credential derived
from the installation's root internal token, so a process can be given its own credential
without the root, and a server can tell callers apart (and refuse some of them a method).

`python -m kit.credentials <caller>` prints the credential of `caller` (for
TAPEDECK_CALLER_CREDENTIAL), read from the root token in the environment or the data dir."""

from __future__ import annotations

import hashlib
import hmac
import sys
from dataclasses import dataclass, field

CALLER_KEY = "x-tapedeck-caller"
TOKEN_KEY = "x-tapedeck-internal-token"
# Shorter roots or credentials are refused: guessable, or a mistake (an empty variable).
MIN_LENGTH = 32


@dataclass(frozen=True)
class Credential:
    """What a process presents on its internal calls."""

    caller: str
    token: str = field(repr=False)


def derive(root: str, caller: str) -> str:
    """The credential of `caller`: HMAC-SHA256 of its name under the root token."""
    return hmac.new(root.encode(), f"caller:{caller}".encode(), hashlib.sha256).hexdigest()


def credential_for(root: str, caller: str) -> Credential:
    return Credential(caller, derive(root, caller))


def main(argv: list[str]) -> int:
    from kit.secrets import internal_token
    from kit.settings import TapedeckSettings, load_settings

    if len(argv) != 1 or not argv[0]:
        sys.stderr.write("usage: python -m kit.credentials <caller>   (for example: gateway)\n")
        return 2
    settings = load_settings(TapedeckSettings)
    sys.stdout.write(derive(internal_token(settings, listening_on=()), argv[0]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
