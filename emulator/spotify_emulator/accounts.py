"""Spotify's accounts service: GET /authorize (auto-approved) and POST /api/token."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from spotify_emulator.messages import Request, Response, html, json_response, oauth_error, redirect
from spotify_emulator.tokens import TokenError, Tokens

# Spotify's rule since 2025: HTTPS, or plain HTTP on a loopback address (never "localhost").
_LOOPBACK = ("127.0.0.1", "::1")


class Accounts:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        tokens: Tokens,
        default_user: str,
        redirect_uris: tuple[str, ...] | None,
        prepare_user: Callable[[str], object],
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens = tokens
        self.default_user = default_user
        self.redirect_uris = redirect_uris
        self.prepare_user = prepare_user

    def authorize(self, request: Request) -> Response:
        if request.param("client_id") != self.client_id:
            return html(400, "INVALID_CLIENT: Invalid client")
        redirect_uri = request.param("redirect_uri") or ""
        problem = self._redirect_problem(redirect_uri)
        if problem:
            return html(400, f"INVALID_CLIENT: {problem}")
        state = request.param("state")
        if request.param("response_type") != "code":
            return redirect(
                _with_query(redirect_uri, {"error": "unsupported_response_type"}, state)
            )
        if request.param("emulator_deny") in ("1", "true", "yes"):
            return redirect(_with_query(redirect_uri, {"error": "access_denied"}, state))
        challenge = request.param("code_challenge")
        if challenge is not None and request.param("code_challenge_method") != "S256":
            return redirect(_with_query(redirect_uri, {"error": "invalid_request"}, state))
        user_id = request.param("emulator_user") or self.default_user
        # Generate the library now, so the first API call is not the one that waits for it.
        self.prepare_user(user_id)
        code = self.tokens.new_code(
            self.client_id, redirect_uri, user_id, request.param("scope") or "", challenge
        )
        return redirect(_with_query(redirect_uri, {"code": code}, state))

    def _redirect_problem(self, uri: str) -> str | None:
        if not uri:
            return "Invalid redirect URI"
        parts = urlsplit(uri)
        if parts.hostname == "localhost":
            return "Invalid redirect URI"
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            return "Insecure redirect URI"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "Invalid redirect URI"
        if self.redirect_uris is not None and uri not in self.redirect_uris:
            return "Invalid redirect URI"
        return None

    def token(self, request: Request) -> Response:
        form = request.form()
        grant = form.get("grant_type")
        client_id, secret = self._client(request, form)
        # PKCE clients send no secret: only their id, and the verifier on code exchange.
        public_client = secret is None and (
            (grant == "authorization_code" and "code_verifier" in form) or grant == "refresh_token"
        )
        if client_id != self.client_id or (secret != self.client_secret and not public_client):
            return oauth_error("invalid_client", "Invalid client")
        try:
            if grant == "authorization_code":
                if not form.get("code"):
                    return oauth_error("invalid_request", "code must be supplied")
                answer = self.tokens.redeem_code(
                    form["code"], client_id, form.get("redirect_uri"), form.get("code_verifier")
                )
            elif grant == "refresh_token":
                if not form.get("refresh_token"):
                    return oauth_error("invalid_request", "refresh_token must be supplied")
                answer = self.tokens.refresh(form["refresh_token"], client_id)
            elif grant is None:
                return oauth_error("unsupported_grant_type", "grant_type parameter is missing")
            else:
                return oauth_error(
                    "unsupported_grant_type",
                    "grant_type must be client_credentials, authorization_code or refresh_token",
                )
        except TokenError as refused:
            return oauth_error(refused.error, str(refused))
        return json_response(200, answer, {"Cache-Control": "no-store"})

    @staticmethod
    def _client(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None, None
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        return form.get("client_id"), form.get("client_secret")


def _with_query(uri: str, values: dict[str, str], state: str | None) -> str:
    if state is not None:
        values = {**values, "state": state}
    return uri + ("&" if "?" in uri else "?") + urlencode(values)
