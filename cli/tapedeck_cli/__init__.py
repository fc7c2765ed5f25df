"""The tapedeck command line: talks only to the gateway's public HTTP API."""
