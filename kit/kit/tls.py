"""Optional TLS for internal gRPC: TAPEDECK_GRPC_TLS_CERT and _KEY (PEM) make every server
listen with TLS and every channel speak it; TAPEDECK_GRPC_TLS_CA makes it mutual (servers
demand a client certificate signed by it; channels trust only it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import grpc

from kit.secrets import refuse_shared
from kit.settings import TapedeckSettings


@dataclass(frozen=True)
class GrpcTls:
    cert: bytes
    key: bytes = field(repr=False)
    # None: channels trust the system's roots, servers ask for no client certificate.
    ca: bytes | None = None

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key, self.cert)],
            root_certificates=self.ca,
            require_client_auth=self.ca is not None,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        # The same certificate serves as the process's client identity.
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )


def _read(variable: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SystemExit(
            f"tapedeck: invalid {variable}: cannot read {path}: {exc.strerror}"
        ) from None


def load_tls(settings: TapedeckSettings) -> GrpcTls | None:
    """The TLS files of the settings, read once at start; None without them. A missing
    partner, an unreadable file or a key others may read stops start-up with one line."""
    cert, key, ca = settings.grpc_tls_cert, settings.grpc_tls_key, settings.grpc_tls_ca
    if cert is None and key is None:
        if ca is not None:
            raise SystemExit(
                "tapedeck: invalid TAPEDECK_GRPC_TLS_CA: needs TAPEDECK_GRPC_TLS_CERT and "
                "TAPEDECK_GRPC_TLS_KEY too"
            )
        return None
    if key is None:
        raise SystemExit(
            "tapedeck: invalid TAPEDECK_GRPC_TLS_KEY: must be set with TAPEDECK_GRPC_TLS_CERT"
        )
    if cert is None:
        raise SystemExit(
            "tapedeck: invalid TAPEDECK_GRPC_TLS_CERT: must be set with TAPEDECK_GRPC_TLS_KEY"
        )
    key_pem = _read("TAPEDECK_GRPC_TLS_KEY", key)
    refuse_shared(key, "TAPEDECK_GRPC_TLS_KEY")
    return GrpcTls(
        cert=_read("TAPEDECK_GRPC_TLS_CERT", cert),
        key=key_pem,
        ca=None if ca is None else _read("TAPEDECK_GRPC_TLS_CA", ca),
    )
