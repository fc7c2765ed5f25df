"""`python -m tapedeck_cli`, the same as the `tapedeck` command."""

from tapedeck_cli.main import run

run()
