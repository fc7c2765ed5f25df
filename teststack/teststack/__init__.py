"""Starts Tapedeck's real services in-process for tests: gRPC servers on 127.0.0.1:0, real
databases, the Spotify emulator. One module per service; nothing here is mocked."""
