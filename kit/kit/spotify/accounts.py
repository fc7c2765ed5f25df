"""Spotify's accounts service (authorize, code exchange, refresh) through spotipy's OAuth,
with PKCE (S256) on top: the challenge rides on spotipy's authorize URL, and the code
exchange, which spotipy's confidential client cannot send a verifier with (only its public
SpotifyPKCE client can, and that one sends no secret), is one POST of our own.

A refusal naming the app (`invalid_client`: a wrong or revoked client secret) is an outage
of Tapedeck, never a user's lost authorization.

Blocking: callers run it on their own threads. spotipy is imported on first use, not at
start: it imports redis (for a cache Tapedeck never uses), about 0.15 s of the auth
service's start with byte-code and 0.6 s without."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from kit import errors

if TYPE_CHECKING:
    from spotipy.oauth2 import SpotifyOAuth

SCOPES = (
    "playlist-read-private playlist-read-collaborative user-library-read "
    "user-follow-read user-read-private"
)
# Asked for on top, only when a person first restores (a second consent): writing playlists
# and the library. `user-follow-modify` is asked too, though no 2026 endpoint lets a
# development-mode app follow an artist, so that Tapedeck can when Spotify allows it.
WRITE_SCOPES = (
    "playlist-modify-private playlist-modify-public user-library-modify user-follow-modify"
)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    # None when Spotify did not rotate it: keep the one you have.
    refresh_token: str | None
    expires_at: float
    # The scopes Spotify granted, as its token answer says ("" when it did not say).
    scope: str = ""


class SpotifyAccounts:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        accounts_url: str,
        api_url: str,
        timeout_s: float,
    ) -> None:
        self._api_url = api_url.rstrip("/") + "/"
        self._timeout = timeout_s
        self._session = requests.Session()
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._accounts_url = accounts_url.rstrip("/")

    @cached_property
    def _oauth(self) -> SpotifyOAuth:
        from spotipy.cache_handler import MemoryCacheHandler
        from spotipy.oauth2 import SpotifyOAuth

        oauth = SpotifyOAuth(
            client_id=self._client_id,
            client_secret=self._client_secret,
            redirect_uri=self._redirect_uri,
            scope=SCOPES,
            cache_handler=MemoryCacheHandler(),
            open_browser=False,
            requests_session=self._session,
            requests_timeout=self._timeout,
        )
        oauth.OAUTH_AUTHORIZE_URL = f"{self._accounts_url}/authorize"
        oauth.OAUTH_TOKEN_URL = f"{self._accounts_url}/api/token"
        return oauth

    def authorize_url(self, state: str, code_challenge: str, write_scopes: bool = False) -> str:
        """`write_scopes`: ask for WRITE_SCOPES too (a restore's second consent)."""
        url: str = self._oauth.get_authorize_url(state=state)
        if write_scopes:
            parts = urlsplit(url)
            query = [
                (k, f"{v} {WRITE_SCOPES}" if k == "scope" else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            url = urlunsplit(parts._replace(query=urlencode(query)))
        pkce = urlencode({"code_challenge": code_challenge, "code_challenge_method": "S256"})
        return f"{url}&{pkce}"

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        try:
            answer = self._session.post(
                f"{self._accounts_url}/api/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self._redirect_uri,
                    "code_verifier": code_verifier,
                },
                auth=(self._client_id, self._client_secret),
                timeout=self._timeout,
            )
        except requests.RequestException:
            raise errors.Unavailable("Spotify's accounts service is unreachable") from None
        info = _json(answer)
        if answer.status_code == 200 and isinstance(info.get("access_token"), str):
            return _token_set(info)
        error = info.get("error")
        if error == "invalid_client":
            raise errors.Unavailable("Spotify refused Tapedeck's app credentials")
        if answer.status_code in (400, 401) and isinstance(error, str):
            raise errors.InvalidArgument(f"Spotify refused the login: {error[:100]}")
        raise errors.Unavailable(f"Spotify's accounts service answered {answer.status_code}")

    def refresh(self, refresh_token: str) -> TokenSet:
        from spotipy.oauth2 import SpotifyOauthError

        try:
            info = self._oauth.refresh_access_token(refresh_token)
        except SpotifyOauthError as exc:
            if exc.error == "invalid_client":
                raise errors.Unavailable("Spotify refused Tapedeck's app credentials") from None
            if exc.error == "invalid_grant":
                raise errors.SpotifyAuthorizationLost(
                    "Spotify no longer accepts this login; log in again"
                ) from None
            raise errors.Unavailable("Spotify's accounts service failed") from None
        except requests.RequestException:
            raise errors.Unavailable("Spotify's accounts service is unreachable") from None
        rotated = info.get("refresh_token")
        return _token_set({**info, "refresh_token": None if rotated == refresh_token else rotated})

    def current_user(self, access_token: str) -> dict[str, Any]:
        import spotipy

        client = spotipy.Spotify(
            auth=access_token,
            requests_session=self._session,
            requests_timeout=self._timeout,
            retries=0,
            status_retries=0,
        )
        client.prefix = self._api_url
        try:
            me: dict[str, Any] = client.me()
        except spotipy.SpotifyException as exc:
            raise errors.Unavailable(f"Spotify answered {exc.http_status} to /me") from None
        except requests.RequestException:
            raise errors.Unavailable("Spotify is unreachable") from None
        return me


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_set(info: dict[str, Any]) -> TokenSet:
    expires_at = info.get("expires_at") or time.time() + int(info.get("expires_in", 3600))
    return TokenSet(
        access_token=info["access_token"],
        refresh_token=info.get("refresh_token"),
        expires_at=float(expires_at),
        scope=str(info.get("scope") or ""),
    )
