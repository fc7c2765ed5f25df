"""Spotify's `fields` filter: `name,tracks.items(added_at,track(name,album(!images)))`."""

from __future__ import annotations

from typing import Any

# A parsed filter: field name -> sub-filter (None keeps the whole value); names starting
# with "!" are exclusions.
Tree = dict[str, "Tree | None"]


class BadFields(ValueError):
    pass


def parse(text: str) -> Tree:
    tree, at = _list(text, 0)
    if at != len(text):
        raise BadFields(text)
    return tree


def _list(text: str, at: int) -> tuple[Tree, int]:
    tree: Tree = {}
    excluding = False
    while True:
        name, sub, at = _field(text, at)
        # A group that opens with "!" excludes every field in it, as in Spotify's example
        # `album(!external_urls,images)`.
        excluding = excluding or (not tree and name.startswith("!"))
        if excluding and not name.startswith("!"):
            name = "!" + name
        _merge(tree, name, sub)
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return tree, at


def _field(text: str, at: int) -> tuple[str, Tree | None, int]:
    start = at
    while at < len(text) and text[at] not in ",.()":
        at += 1
    name = text[start:at].strip()
    if not name or name == "!":
        raise BadFields(text)
    if at < len(text) and text[at] == ".":
        sub_name, sub_tree, at = _field(text, at + 1)
        return name, {sub_name: sub_tree}, at
    if at < len(text) and text[at] == "(":
        sub, at = _list(text, at + 1)
        if at >= len(text) or text[at] != ")":
            raise BadFields(text)
        return name, sub, at + 1
    return name, None, at


def _merge(tree: Tree, name: str, sub: Tree | None) -> None:
    if name in tree:
        have = tree[name]
        if have is None or sub is None:
            tree[name] = None
        else:
            for key, value in sub.items():
                _merge(have, key, value)
    else:
        tree[name] = sub


def apply(value: Any, tree: Tree | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    excluded = {k[1:] for k in tree if k.startswith("!")}
    included = {k: v for k, v in tree.items() if not k.startswith("!")}
    if included:
        return {
            k: apply(value[k], included[k]) for k in value if k in included and k not in excluded
        }
    return {k: v for k, v in value.items() if k not in excluded}
