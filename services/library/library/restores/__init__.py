"""Restores: a save or an import written back into a user's Spotify account, resumably and
exactly once per item (docs/design.md, "Restore")."""
