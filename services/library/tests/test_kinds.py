"""The library's kinds and library.proto's Kind enum name the same kinds, in the same order,
and each kind has its entity service."""

from __future__ import annotations

from tapedeck.library.v1 import library_pb2

from kit.settings import ENTITY_SERVICES
from library.kinds import KINDS, SERVICE_OF
from library.servicer import kind_value


def test_every_kind_has_its_enum_value_in_order() -> None:
    values = [v for v in library_pb2.Kind.values() if v != library_pb2.KIND_UNSPECIFIED]
    assert [kind_value(kind) for kind in KINDS] == values


def test_every_kind_is_kept_by_its_own_entity_service() -> None:
    assert sorted(SERVICE_OF) == sorted(KINDS)
    assert sorted(SERVICE_OF.values()) == sorted(ENTITY_SERVICES)
