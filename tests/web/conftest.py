"""The browser tests start `make run`'s processes through the `launchers` fixture."""

from launcher.testing import launchers

__all__ = ["launchers"]
