"""AES-256-GCM envelope encryption for identity fields (DESIGN.md §4).

Each tenant has data keys (DEKs), stored wrapped by the master key. A field's ciphertext
names the DEK version that sealed it, and its associated data binds it to its tenant,
table, column and row: a value copied to another row, column or tenant does not decrypt.

Layout of a sealed field: b"\\x01" | key version (4 bytes, big-endian) | nonce (12) | ct+tag.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = 1
_HEADER = 5
_NONCE = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A ciphertext that is damaged, moved, or sealed under a key we do not have."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def parse_key(text: str, name: str) -> bytes:
    """A 32-byte key from its URL-safe base64 form (how keys are given in settings)."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        msg = f"{name} is not valid base64"
        raise SystemExit(msg) from exc
    if len(raw) != KEY_BYTES:
        msg = f"{name} must be {KEY_BYTES} bytes of base64 (got {len(raw)})"
        raise SystemExit(msg)
    return raw


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def fingerprint(key: bytes) -> str:
    """A short, non-secret name for a key, so a wrapped key records which key wrapped it."""
    return hashlib.sha256(b"tend-key-id" + key).hexdigest()[:16]


def field_context(tenant_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID) -> bytes:
    """Associated data binding a field's ciphertext to exactly one place."""
    return f"tend/v1|{tenant_id}|{table}|{column}|{row_id}".encode()


@lru_cache(maxsize=1024)
def _cipher(key: bytes) -> AESGCM:
    # One AESGCM object per key: building one for each of a page's hundred fields costs
    # more than the decryption itself.
    return AESGCM(key)


def seal(key: bytes, version: int, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    header = bytes([FORMAT]) + version.to_bytes(4, "big")
    return header + nonce + _cipher(key).encrypt(nonce, plaintext, header + context)


def key_version(sealed: bytes) -> int:
    if len(sealed) < _HEADER + _NONCE + 16 or sealed[0] != FORMAT:
        raise DecryptionError("not a Tend ciphertext")
    return int.from_bytes(sealed[1:_HEADER], "big")


def open_sealed(key: bytes, sealed: bytes, context: bytes) -> bytes:
    key_version(sealed)  # validates the header
    header, nonce, body = (
        sealed[:_HEADER],
        sealed[_HEADER : _HEADER + _NONCE],
        sealed[_HEADER + _NONCE :],
    )
    try:
        return _cipher(key).decrypt(nonce, body, header + context)
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not open here") from exc


def _wrap_context(tenant_id: uuid.UUID, version: int, purpose: str) -> bytes:
    return f"tend/dek|{tenant_id}|{version}|{purpose}".encode()


@dataclass(frozen=True)
class MasterKeys:
    """The current master key, and earlier ones still accepted while keys are rewrapped."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    def by_fingerprint(self, name: str) -> bytes:
        for key in (self.current, *self.previous):
            if fingerprint(key) == name:
                return key
        msg = f"no master key with fingerprint {name}: set it in TEND_MASTER_KEY_PREVIOUS"
        raise DecryptionError(msg)

    def wrap(self, dek: bytes, tenant_id: uuid.UUID, version: int, purpose: str) -> bytes:
        return seal(self.current, 0, dek, _wrap_context(tenant_id, version, purpose))

    def unwrap(
        self, wrapped: bytes, wrapped_by: str, tenant_id: uuid.UUID, version: int, purpose: str
    ) -> bytes:
        key = self.by_fingerprint(wrapped_by)
        return open_sealed(key, wrapped, _wrap_context(tenant_id, version, purpose))
