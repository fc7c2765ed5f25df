"""The launcher's system tests start `make run` through the `launchers` fixture."""

from launcher.testing import launchers

__all__ = ["launchers"]
