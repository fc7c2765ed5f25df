"""Logging in through the gateway and the emulator, as a browser would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests


def follow_to_callback(
    gateway_url: str,
    emulator_user: str,
    return_to: str = "/",
    deny: bool = False,
    browser: requests.Session | None = None,
) -> str:
    """The gateway callback URL (with code and state) Spotify would send the browser to.
    The login cookie the gateway sets lands in `browser`: only a request carrying it can
    complete the login (it is bound to the browser that started it)."""
    start = (browser or requests.Session()).get(
        f"{gateway_url}/auth/login",
        params={"return_to": return_to},
        allow_redirects=False,
        timeout=10,
    )
    assert start.status_code == 302, start.text
    parts = urlsplit(start.headers["location"])
    query = parse_qs(parts.query)
    query["emulator_user"] = [emulator_user]
    if deny:
        query["emulator_deny"] = ["1"]
    authorize = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    approved = requests.get(authorize, allow_redirects=False, timeout=10)
    assert approved.status_code in (302, 303), approved.text
    # The auth service may know the gateway by another origin (its public URL); a browser
    # would go there, a test goes to the gateway it started.
    callback = urlsplit(approved.headers["location"])
    gateway = urlsplit(gateway_url)
    return urlunsplit(callback._replace(scheme=gateway.scheme, netloc=gateway.netloc))


def login(gateway_url: str, emulator_user: str = "tapedeck-demo") -> str:
    """A Tapedeck JWT for that emulator user."""
    with requests.Session() as browser:
        callback = follow_to_callback(gateway_url, emulator_user, browser=browser)
        answer = browser.get(callback, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token
