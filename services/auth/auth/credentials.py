"""A user's Spotify tokens as stored: sealed (encrypted), with the access token's expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SealedCredentials:
    access_token: bytes
    refresh_token: bytes
    expires_at: datetime
    # The scopes the person granted at their last login (a restore needs the write scopes).
    scope: str = ""
