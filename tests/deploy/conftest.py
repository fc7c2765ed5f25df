"""tests/deploy: deploy/ checked without a cluster or a Docker engine (the manifests, the
compose file, the Dockerfile), and the stack run as a cluster runs it, on one machine."""
