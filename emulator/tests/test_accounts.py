"""The accounts service: /authorize, /api/token, expiry, revocation and rotation."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify_emulator import Emulator

REDIRECT = "http://127.0.0.1:8000/auth/callback"
BASIC = "Basic " + base64.b64encode(b"test-client:test-secret").decode()


def authorize(emu: Emulator, **params: str) -> requests.Response:
    query = {
        "client_id": "test-client",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "user-library-read",
        "state": "s-1",
        **params,
    }
    return requests.get(
        f"{emu.accounts_url}/authorize", params=query, allow_redirects=False, timeout=5
    )


def code_for(emu: Emulator, user: str = "alice", **params: str) -> str:
    answer = authorize(emu, emulator_user=user, **params)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def token(emu: Emulator, form: dict[str, str], auth: str | None = BASIC) -> requests.Response:
    headers = {"Authorization": auth} if auth else {}
    return requests.post(f"{emu.accounts_url}/api/token", data=form, headers=headers, timeout=5)


def exchange(emu: Emulator, user: str = "alice") -> dict[str, Any]:
    answer = token(
        emu,
        {"grant_type": "authorization_code", "code": code_for(emu, user), "redirect_uri": REDIRECT},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def me(emu: Emulator, access: str) -> requests.Response:
    return requests.get(
        f"{emu.api_url}/me", headers={"Authorization": f"Bearer {access}"}, timeout=5
    )


def test_authorize_redirects_with_a_code_and_the_state(emu: Emulator) -> None:
    answer = authorize(emu)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s-1"] and query["code"][0]


def test_the_default_user_approves_unless_one_is_named(emu: Emulator) -> None:
    answer = token(
        emu,
        {"grant_type": "authorization_code", "code": code_for(emu, ""), "redirect_uri": REDIRECT},
    )
    assert me(emu, answer.json()["access_token"]).json()["id"] == "tapedeck-demo"
    assert me(emu, exchange(emu, "bob")["access_token"]).json()["id"] == "bob"


def test_denial_redirects_with_access_denied(emu: Emulator) -> None:
    answer = authorize(emu, emulator_deny="1")
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s-1"],
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": "someone-else"}, "INVALID_CLIENT: Invalid client"),
        ({"redirect_uri": "http://localhost:8000/cb"}, "INVALID_CLIENT: Invalid redirect URI"),
        ({"redirect_uri": "http://example.com/cb"}, "INVALID_CLIENT: Insecure redirect URI"),
        ({"redirect_uri": ""}, "INVALID_CLIENT: Invalid redirect URI"),
    ],
)
def test_authorize_refuses_bad_clients_and_redirects(
    emu: Emulator, params: dict[str, str], message: str
) -> None:
    answer = authorize(emu, **params)
    assert answer.status_code == 400
    assert message in answer.text


def test_https_and_ipv6_loopback_redirects_are_fine(emu: Emulator) -> None:
    assert authorize(emu, redirect_uri="https://tapedeck.example/cb").status_code == 302
    assert authorize(emu, redirect_uri="http://[::1]:8000/cb").status_code == 302


def test_a_code_works_once_and_only_with_its_redirect_uri(emu: Emulator) -> None:
    code = code_for(emu)
    wrong = token(
        emu, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT + "x"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    first = token(emu, form)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "user-library-read"
    again = token(emu, form)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_client_credentials_in_the_form_work_too(emu: Emulator) -> None:
    form = {
        "grant_type": "authorization_code",
        "code": code_for(emu),
        "redirect_uri": REDIRECT,
        "client_id": "test-client",
        "client_secret": "test-secret",
    }
    assert token(emu, form, auth=None).status_code == 200


@pytest.mark.parametrize(
    "auth",
    [
        "Basic " + base64.b64encode(b"test-client:wrong").decode(),
        "Basic " + base64.b64encode(b"other:test-secret").decode(),
        "Basic !!!",
        None,
    ],
)
def test_a_wrong_client_is_invalid_client(emu: Emulator, auth: str | None) -> None:
    form = {"grant_type": "authorization_code", "code": code_for(emu), "redirect_uri": REDIRECT}
    answer = token(emu, form, auth=auth)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client", "error_description": "Invalid client"}


def test_unsupported_grants(emu: Emulator) -> None:
    assert token(emu, {}).json()["error"] == "unsupported_grant_type"
    assert token(emu, {"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    assert token(emu, {"grant_type": "refresh_token"}).json()["error"] == "invalid_request"


def test_refresh_without_rotation_keeps_the_refresh_token(emu: Emulator) -> None:
    pair = exchange(emu)
    form = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    first = token(emu, form)
    assert first.status_code == 200
    assert set(first.json()) == {"access_token", "token_type", "expires_in", "scope"}
    assert token(emu, form).status_code == 200
    assert me(emu, first.json()["access_token"]).status_code == 200


def test_rotation_issues_a_new_refresh_token_and_retires_the_old(make_emu: Any) -> None:
    emu = make_emu(rotate_refresh_tokens=True)
    pair = exchange(emu)
    first = token(emu, {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != pair["refresh_token"]
    old = token(emu, {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    assert token(emu, {"grant_type": "refresh_token", "refresh_token": rotated}).status_code == 200


def test_revoked_refresh_tokens_get_invalid_grant(emu: Emulator) -> None:
    alice, bob = exchange(emu, "alice"), exchange(emu, "bob")
    assert emu.revoke_refresh_tokens("alice") == 1
    refused = token(emu, {"grant_type": "refresh_token", "refresh_token": alice["refresh_token"]})
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid refresh token",
    }
    assert (
        token(
            emu, {"grant_type": "refresh_token", "refresh_token": bob["refresh_token"]}
        ).status_code
        == 200
    )
    # The access token keeps working until it expires.
    assert me(emu, alice["access_token"]).status_code == 200


def test_api_calls_need_a_valid_token(emu: Emulator) -> None:
    invalid = {"error": {"status": 401, "message": "Invalid access token"}}
    no_token = requests.get(f"{emu.api_url}/me", timeout=5)
    assert no_token.status_code == 401 and no_token.json() == invalid
    assert me(emu, "not-a-token").json() == invalid
    basic = requests.get(f"{emu.api_url}/me", headers={"Authorization": BASIC}, timeout=5)
    assert basic.status_code == 401


def test_expired_access_tokens_answer_401_expired(emu: Emulator) -> None:
    alice, bob = exchange(emu, "alice"), exchange(emu, "bob")
    emu.expire_access_tokens("alice")
    expired = me(emu, alice["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    assert me(emu, bob["access_token"]).status_code == 200
    fresh = token(emu, {"grant_type": "refresh_token", "refresh_token": alice["refresh_token"]})
    assert me(emu, fresh.json()["access_token"]).status_code == 200
    emu.expire_access_tokens()
    assert me(emu, bob["access_token"]).status_code == 401


def test_the_token_ttl_applies_to_tokens_issued_from_then_on(emu: Emulator) -> None:
    before = exchange(emu)
    emu.set_token_ttl(0)
    short = exchange(emu)
    assert short["expires_in"] == 0
    assert me(emu, short["access_token"]).json()["error"]["message"] == "The access token expired"
    assert me(emu, before["access_token"]).status_code == 200


def test_pkce_without_a_secret(emu: Emulator) -> None:
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = code_for(emu, code_challenge=challenge, code_challenge_method="S256")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "test-client",
    }
    assert (
        token(emu, {**form, "code_verifier": "w" * 64}, auth=None).json()["error"]
        == "invalid_grant"
    )
    code = code_for(emu, code_challenge=challenge, code_challenge_method="S256")
    answer = token(emu, {**form, "code": code, "code_verifier": verifier}, auth=None)
    assert answer.status_code == 200, answer.text
