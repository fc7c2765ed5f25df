"""The kinds of a library as the HTTP API names them, and their values in library.proto's
`Kind` enum: `KIND_PLAYLISTS` is "playlists", and so on, by rule rather than by table."""

from __future__ import annotations

from typing import Literal, cast

from tapedeck.library.v1 import library_pb2

# Spelled out for the OpenAPI schema; a test holds it equal to the enum's names.
KindName = Literal["playlists", "tracks", "albums", "artists"]

_PREFIX = "KIND_"


def kind_value(name: str) -> library_pb2.Kind:
    return cast("library_pb2.Kind", library_pb2.Kind.Value(_PREFIX + name.upper()))


def kind_name(value: int) -> str:
    """The kind's name; "unknown" for a value this gateway does not know (a newer service)."""
    if value == library_pb2.KIND_UNSPECIFIED or value not in library_pb2.Kind.values():
        return "unknown"
    return library_pb2.Kind.Name(value).removeprefix(_PREFIX).lower()
