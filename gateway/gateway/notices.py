"""Why a read's page is empty, when the reason is that no save of its kind has completed yet
(docs/api.md "Which save a read sees"): said in the `Tapedeck-Notice` header, so the page
itself keeps its shape."""

from __future__ import annotations

from tapedeck.library.v1 import library_pb2

from gateway.backends import Backends
from gateway.kinds import kind_value

NOTICE_HEADER = "Tapedeck-Notice"

# What the library reads a kind from: a save that ended with the kind completed (it then
# carries the kind's count).
_READABLE = (library_pb2.SAVE_STATUS_SUCCEEDED, library_pb2.SAVE_STATUS_PARTIAL)
_UNDER_WAY = (library_pb2.SAVE_STATUS_QUEUED, library_pb2.SAVE_STATUS_RUNNING)
_PAGE = 100


async def before_first_save(backends: Backends, user_id: str, kind: str) -> str | None:
    """The notice for an empty read of `kind`, or None when a save has completed it (the
    list is then truly empty). Asked only for empty pages, so a full library costs
    nothing."""
    value = kind_value(kind)
    under_way = False
    offset = 0
    while True:
        answer = await backends.library.ListSaves(
            library_pb2.ListSavesRequest(user_id=user_id, offset=offset, limit=_PAGE)
        )
        for save in answer.saves:
            if save.status in _READABLE and kind in save.counts:
                return None
            under_way = under_way or (save.status in _UNDER_WAY and value in save.kinds)
        offset += len(answer.saves)
        if not answer.saves or offset >= answer.total:
            break
    if under_way:
        return f"the first save of {kind} is under way; this list fills when it has ended"
    return f"no save of {kind} has completed yet; start one with POST /api/v1/library/saves"
