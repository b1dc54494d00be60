"""Encryption at rest for personal data: keys from the environment, Fernet tokens and keyed digests.

This module is the ground floor: it imports nothing from `apps`, so corpus (and anything else) may use it.
`config/settings` calls `load_keys` so a missing or malformed key stops every process at start-up with a
sentence saying how to fix it; `fields.py` encrypts and decrypts through `encrypt`/`decrypt`.

Digests (`workspace_digest`, `blind_index`) are keyed HMACs per workspace, derived from the same keys.

MURMUR_ENCRYPTION_KEYS holds one or more Fernet keys, comma separated. The first one encrypts; every one can
decrypt (MultiFernet). To rotate, put a new key first and keep the old ones after it, restart, and run
`manage.py rotate_encryption_key`; then the old keys can be dropped. Fernet tokens are authenticated, so a
wrong key fails loudly (DecryptionError): it never yields garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

KEY_ENV = "MURMUR_ENCRYPTION_KEYS"
# Every Fernet token is base64 of version byte 0x80 followed by a 64-bit timestamp: it starts like this.
TOKEN_PREFIX = "gAAAAA"
HOW_TO = (
    f"Set {KEY_ENV} to one or more Fernet keys, comma separated, the current key first. Generate one with: "
    "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\" "
    "(`make run` generates one for you in MURMUR_DATA_DIR/secrets/encryption.key)."
)
WRONG_KEY = (
    f"Stored personal data cannot be decrypted with the keys in {KEY_ENV}: it must contain the key the data was "
    "encrypted with. When rotating, put the new key first and keep the old ones after it until "
    "`manage.py rotate_encryption_key` has finished."
)


class DecryptionError(Exception):
    """A stored value cannot be decrypted with any configured key (a wrong key or a tampered value)."""


def key_file(data_dir: Path) -> Path:
    """Where `make run` keeps the key it generated (mode 0600)."""
    return data_dir / "secrets" / "encryption.key"


def generate_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(raw: str | None, source: str = KEY_ENV) -> list[str]:
    keys = [k.strip() for k in (raw or "").replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"No encryption key: {source} is empty or not set. {HOW_TO}")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"Key {number} in {source} is not a valid Fernet key (32 bytes, url-safe base64). {HOW_TO}"
            ) from None
    return list(dict.fromkeys(keys))


def load_keys(raw: str | None, fallback_file: Path | None = None) -> list[str]:
    """The keys from the environment; else from the file `make run` wrote (so `manage.py` commands in a
    development checkout use the same key as the running app); else a start-up error."""
    if not (raw or "").strip() and fallback_file is not None and fallback_file.is_file():
        return parse_keys(fallback_file.read_text(), str(fallback_file))
    return parse_keys(raw)


def configured_keys() -> tuple[str, ...]:
    from django.conf import settings  # read on each call, so override_settings in tests takes effect

    return tuple(settings.MURMUR_ENCRYPTION_KEYS)


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(data: bytes) -> bytes:
    return _fernet(configured_keys()).encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return _fernet(configured_keys()).decrypt(token)
    except InvalidToken:
        raise DecryptionError(WRONG_KEY) from None


def rotate(token: bytes) -> bytes:
    """The same plaintext encrypted under the current (first) key."""
    try:
        return _fernet(configured_keys()).rotate(token)
    except InvalidToken:
        raise DecryptionError(WRONG_KEY) from None


def encrypted_under_current_key(token: bytes) -> bool:
    try:
        Fernet(configured_keys()[0]).decrypt(token)
    except InvalidToken:
        return False
    return True


def encrypt_str(value: str) -> str:
    return encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    return decrypt(token.encode()).decode()


def is_token(value: str | bytes) -> bool:
    if isinstance(value, str):
        return value.startswith(TOKEN_PREFIX)
    return bytes(value[:6]) == TOKEN_PREFIX.encode()


# --- keyed digests: exact-match lookups and de-duplication without a guessable hash -------------------------
# A plain SHA-256 of a text lets anyone who reads the database confirm a guess ("did customer X write Y?"), and
# one unkeyed index per author links the same person across workspaces. Every digest we store is an HMAC under
# a key derived from the encryption key, over the workspace's id and what the digest is for as well as the value:
# without the key nothing can be tested, and one value gives unrelated digests in two workspaces.

DIGEST_INFO = b"murmur workspace digest v1"
AUTHOR, TEXT, FILE, ERASURE_CRITERION = "author", "text", "file", "erasure criterion"


@cache
def _digest_key(key: str) -> bytes:
    """A separate HMAC key derived from an encryption key, so a digest never reuses the encryption key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DIGEST_INFO)
    return hkdf.derive(base64.urlsafe_b64decode(key))


def workspace_digest(workspace_id: int, purpose: str, value: str | bytes, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of `value` for `purpose` in one workspace, under `key` (default: the current key)."""
    data = value.encode() if isinstance(value, str) else bytes(value)
    message = f"{purpose}\x1f{int(workspace_id)}\x1f".encode() + data
    return hmac.new(_digest_key(key or configured_keys()[0]), message, hashlib.sha256).hexdigest()


def workspace_digests(workspace_id: int, purpose: str, value: str | bytes) -> list[str]:
    """The digest under every configured key, current first: rows a rotation has not reached yet still match."""
    return list(dict.fromkeys(workspace_digest(workspace_id, purpose, value, key) for key in configured_keys()))


def normalise(value: str) -> str:
    """Case and spacing never make two spellings of one name or address different people."""
    return " ".join(value.casefold().split())


def blind_index(value: str, workspace_id: int, key: str | None = None, purpose: str = AUTHOR) -> str:
    """The workspace's digest of the normalised value ("" for an empty value): an exact-match index on an
    encrypted column."""
    value = normalise(value)
    if not value:
        return ""
    return workspace_digest(workspace_id, purpose, value, key)


def blind_indexes(value: str, workspace_id: int, purpose: str = AUTHOR) -> list[str]:
    """The value's index under every configured key: rows not yet re-indexed by a rotation still match."""
    return [d for d in dict.fromkeys(blind_index(value, workspace_id, key, purpose) for key in configured_keys())
            if d]
