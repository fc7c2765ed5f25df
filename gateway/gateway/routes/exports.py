"""Exports: a user's stored library as files (docs/api.md "Exports"). Each route reads its
first page before answering (gateway.exports.source: an unknown playlist or save is a 404,
not a broken stream), then streams the file as the pages arrive, with a safe file name in
Content-Disposition (gateway.exports.names)."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.bodies import JsonBodyRoute

router = APIRouter(tags=["exports"], route_class=JsonBodyRoute)
