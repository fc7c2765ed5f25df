"""Exports: a user's stored library as files they own (docs/api.md "Exports"). `source` reads
the items from the library service page by page; the writers (`exportify`, …) are pure
functions over those items; `names` makes file names safe everywhere."""
