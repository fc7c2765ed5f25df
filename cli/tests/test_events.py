"""The event stream reader, alone: what the gateway sends (docs/api.md), comments, data on
several lines, and an event cut off by the end of the stream."""

from __future__ import annotations

from tapedeck_cli.events import Event, read_events


def test_events_are_read_as_the_gateway_sends_them() -> None:
    lines = [
        "event: progress",
        'data: {"status": "running"}',
        "",
        ": keep-alive",
        "",
        "event: done",
        'data: {"status":',
        'data:  "succeeded"}',
        "",
        "event: progress",
        "data: cut off before its blank line",
    ]
    assert list(read_events(lines)) == [
        Event("progress", '{"status": "running"}'),
        Event("done", '{"status":\n "succeeded"}'),
    ]


def test_an_event_without_a_name_is_a_message() -> None:
    assert list(read_events(["data: x", ""])) == [Event("message", "x")]
