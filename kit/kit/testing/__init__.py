"""Test helpers shared by every service's tests (a pytest plugin: kit.testing.plugin)."""
