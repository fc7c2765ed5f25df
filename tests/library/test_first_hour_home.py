"""A browser login ends somewhere: `/#token=…` is a small page saying the login worked and how
to use the token with curl, or, without a token, how to log in (docs/api.md "The start
page"). The token stays in the fragment: the page is static, loads nothing, sends no
referrer, and runs only its own script, allowed by hash."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests
from teststack.login import follow_to_callback
from teststack.stack import Stack

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Page(HTMLParser):
    """The page's tags, their attributes, and its inline scripts' text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)


def _browser_login(stack: Stack) -> tuple[str, requests.Response]:
    """The URL a browser lands on after logging in, and what the gateway answers there."""
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "tapedeck-demo", browser=browser)
    redirect = browser.get(callback, headers=BROWSER, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302, redirect.text
    landing = redirect.headers["location"]
    # A browser asks for the URL without its fragment; requests does the same.
    return landing, requests.get(landing, headers=BROWSER, timeout=10)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_a_browser_login_ends_on_a_page_that_says_it_worked(stack: Stack) -> None:
    landing, page = _browser_login(stack)
    parts = urlsplit(landing)
    assert parts.path == "/" and parts.fragment.startswith("token=")
    token = parts.fragment.removeprefix("token=")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "You are logged in" in page.text
    assert "curl -H" in page.text and f"{stack.url}/api/v1/me" in page.text
    # The page is the same for everyone: the token is not in it, only in the fragment.
    assert token not in page.text
    # And it is a working login.
    me = requests.get(
        f"{stack.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me.status_code == 200


def test_the_page_runs_only_its_own_script_loads_nothing_and_sends_no_referrer(
    stack: Stack,
) -> None:
    _, page = _browser_login(stack)
    headers = page.headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["Content-Security-Policy"].split("; ")
    }
    parsed = Page(page.text)
    assert len(parsed.scripts) == 1 and len(parsed.styles) == 1
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [_hash(parsed.scripts[0])]
    assert policy["style-src"] == [_hash(parsed.styles[0])]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # No external resources: no script or style file, image, frame or font; links stay on
    # this site.
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "form", "base"), tag
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("/"), href
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def test_without_a_token_the_page_says_how_to_log_in(stack: Stack) -> None:
    page = requests.get(f"{stack.url}/", headers=BROWSER, timeout=10)
    assert page.status_code == 200
    links = [attrs.get("href") for tag, attrs in Page(page.text).tags if tag == "a"]
    assert "/auth/login" in links
    # A person who followed it comes back to this page, now with a token.
    login = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
    assert login.status_code == 302


NODE_DOM = """
const elements = {};
function element(id) {
  return elements[id] || (elements[id] = { id: id, hidden: id === "in", textContent: "" });
}
const replaced = [];
const window = {
  location: { hash: process.argv[2], pathname: "/", search: "" },
  history: { replaceState: (state, title, url) => replaced.push(url) },
};
const document = { getElementById: element };
eval(process.argv[1]);
console.log(JSON.stringify({
  token: element("token").textContent, shown: !element("in").hidden,
  login_hidden: !!element("out").hidden, replaced: replaced,
}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("fragment", "shown"),
    [("#token=abc.def-ghi_jkl", True), ("", False), ("#token=", False), ("#other=1", False)],
)
def test_the_pages_script_shows_the_fragments_token_and_takes_it_out_of_the_address_bar(
    stack: Stack, fragment: str, shown: bool
) -> None:
    """The page's own script, run by node against a stand-in for the few DOM calls it makes."""
    script = Page(requests.get(f"{stack.url}/", timeout=10).text).scripts[0]
    node = shutil.which("node")
    assert node is not None
    ran = subprocess.run(
        [node, "-e", NODE_DOM, script, fragment],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result = json.loads(ran.stdout)
    assert result["shown"] is shown
    if shown:
        assert result["token"] == "TOKEN='abc.def-ghi_jkl'"
        assert result["login_hidden"] is True
        assert result["replaced"] == ["/"]
    else:
        assert result["token"] == ""
        assert result["replaced"] == []
