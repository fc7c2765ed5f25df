"""Certificates made for a test: a CA, a server certificate for 127.0.0.1 and a client
certificate it signed, as PEM (for TAPEDECK_GRPC_TLS_CERT/_KEY/_CA)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class Pki:
    ca: bytes
    # For 127.0.0.1, as server and as client (every service is both).
    server: Pem
    # A client identity only.
    client: Pem

    def write(self, folder: Path) -> dict[str, str]:
        """The files in `folder` (the key 0600), as the variables naming them."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ca.pem").write_bytes(self.ca)
        (folder / "cert.pem").write_bytes(self.server.cert)
        key = folder / "key.pem"
        key.write_bytes(self.server.key)
        key.chmod(0o600)
        return {
            "TAPEDECK_GRPC_TLS_CA": str(folder / "ca.pem"),
            "TAPEDECK_GRPC_TLS_CERT": str(folder / "cert.pem"),
            "TAPEDECK_GRPC_TLS_KEY": str(key),
        }


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def issue(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    ip: str | None = None,
) -> x509.Certificate:
    """A certificate for `key`, signed by `issuer` (self-signed without one)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, signer = issuer if issuer else (subject, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki() -> Pki:
    ca_key = new_key()
    ca = issue("tapedeck test CA", ca_key, None, ca=True)
    server_key, client_key = new_key(), new_key()
    server = issue("tapedeck", server_key, (ca.subject, ca_key), ip="127.0.0.1")
    client = issue("a client", client_key, (ca.subject, ca_key))
    return Pki(
        ca=pem(ca),
        server=Pem(pem(server), pem_key(server_key)),
        client=Pem(pem(client), pem_key(client_key)),
    )
