"""JSON encoding with pre-encoded fragments: a page of 50 tracks spends most of its time in
json.dumps, so the HTTP path splices each catalog object's cached JSON text into the page
instead of encoding the same dicts again."""

from __future__ import annotations

import json
from typing import Any

# Fragments are encoded as this string first, then swapped for their text. Catalog data
# never holds a NUL character, so the quoted escape only ever comes from a fragment.
_MARK = "\x00"
_QUOTED_MARK = '"\\u0000"'


class Fragment:
    """Already-encoded JSON standing in for a value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def fragment(value: Any) -> Fragment:
    return Fragment(text(value))


def dumps(value: Any) -> bytes:
    found: list[str] = []

    def default(obj: object) -> str:
        if isinstance(obj, Fragment):
            found.append(obj.text)
            return _MARK
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default)
    if not found:
        return encoded.encode()
    # The encoder visits values in order, so the marks line up with the fragments.
    parts = encoded.split(_QUOTED_MARK)
    out = [parts[0]]
    for fragment_text, rest in zip(found, parts[1:], strict=True):
        out.append(fragment_text)
        out.append(rest)
    return "".join(out).encode()
