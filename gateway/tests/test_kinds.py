"""The gateway's kind names and library.proto's Kind enum name the same kinds."""

from __future__ import annotations

from typing import get_args

from tapedeck.library.v1 import library_pb2

from gateway.kinds import KindName, kind_name, kind_value


def test_every_kind_the_api_accepts_is_a_kind_of_the_enum_and_back() -> None:
    names = list(get_args(KindName))
    values = [v for v in library_pb2.Kind.values() if v != library_pb2.KIND_UNSPECIFIED]
    assert [kind_name(v) for v in values] == names
    assert [kind_value(n) for n in names] == values


def test_a_kind_the_gateway_does_not_know_is_named_unknown() -> None:
    assert kind_name(library_pb2.KIND_UNSPECIFIED) == "unknown"
    assert kind_name(99) == "unknown"
