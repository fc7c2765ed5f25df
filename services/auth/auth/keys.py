"""The auth service's two keys: from the environment, or generated once into the data dir."""

from __future__ import annotations

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth.settings import AuthSettings
from kit.secrets import keys_dir, load_or_create


def _new_signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signing_key(settings: AuthSettings) -> Ed25519PrivateKey:
    if settings.jwt_private_key is not None:
        pem = settings.jwt_private_key.get_secret_value().encode()
    else:
        pem = load_or_create(keys_dir(settings) / "jwt-ed25519.pem", _new_signing_key)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit("tapedeck: invalid TAPEDECK_JWT_PRIVATE_KEY: not an Ed25519 key")
    return key


def encryption_key(settings: AuthSettings) -> bytes:
    if settings.token_encryption_key is not None:
        return settings.token_encryption_key.get_secret_value().encode()
    return load_or_create(keys_dir(settings) / "token-encryption.key", Fernet.generate_key)
