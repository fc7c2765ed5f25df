"""Spotify's accounts service (authorize, code exchange, refresh) through spotipy's OAuth.

Blocking: callers run it on their own threads. spotipy is imported on first use, not at
start: it imports redis (for a cache Tapedeck never uses), about 0.15 s of the auth
service's start with byte-code and 0.6 s without."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import requests

from kit import errors

if TYPE_CHECKING:
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyOAuth

SCOPES = (
    "playlist-read-private playlist-read-collaborative user-library-read "
    "user-follow-read user-read-private"
)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    # None when Spotify did not rotate it: keep the one you have.
    refresh_token: str | None
    expires_at: float


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

        return self._new_oauth(MemoryCacheHandler())

    def _new_oauth(self, cache: MemoryCacheHandler) -> SpotifyOAuth:
        from spotipy.oauth2 import SpotifyOAuth

        oauth = SpotifyOAuth(
            client_id=self._client_id,
            client_secret=self._client_secret,
            redirect_uri=self._redirect_uri,
            scope=SCOPES,
            cache_handler=cache,
            open_browser=False,
            requests_session=self._session,
            requests_timeout=self._timeout,
        )
        oauth.OAUTH_AUTHORIZE_URL = f"{self._accounts_url}/authorize"
        oauth.OAUTH_TOKEN_URL = f"{self._accounts_url}/api/token"
        return oauth

    def authorize_url(self, state: str) -> str:
        url: str = self._oauth.get_authorize_url(state=state)
        return url

    def exchange_code(self, code: str) -> TokenSet:
        # spotipy hands the whole token set (refresh token, expiry) only through its cache
        # now that `as_dict=True` is deprecated: one cache per exchange, so concurrent
        # logins never read each other's.
        from spotipy.cache_handler import MemoryCacheHandler
        from spotipy.oauth2 import SpotifyOauthError

        cache = MemoryCacheHandler()
        try:
            self._new_oauth(cache).get_access_token(code, as_dict=False, check_cache=False)
            info = cache.get_cached_token()
        except SpotifyOauthError as exc:
            raise errors.InvalidArgument(f"Spotify refused the login: {exc.error}") from None
        except requests.RequestException:
            raise errors.Unavailable("Spotify's accounts service is unreachable") from None
        return _token_set(info)

    def refresh(self, refresh_token: str) -> TokenSet:
        from spotipy.oauth2 import SpotifyOauthError

        try:
            info = self._oauth.refresh_access_token(refresh_token)
        except SpotifyOauthError as exc:
            if exc.error in ("invalid_grant", "invalid_client"):
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


def _token_set(info: dict[str, Any]) -> TokenSet:
    expires_at = info.get("expires_at") or time.time() + int(info.get("expires_in", 3600))
    return TokenSet(
        access_token=info["access_token"],
        refresh_token=info.get("refresh_token"),
        expires_at=float(expires_at),
    )
