"""Patient identity fields in and out of ciphertext, and their blind-index search terms.

Every identity column of `patients` is sealed under the tenant's active data key, bound
to (tenant, table, column, row). Search never sees clear text in the database: names are
indexed as keyed HMACs of their word prefixes, identifiers as HMACs of the whole value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.domain.keys.keyring import DATA, SEARCH, Keyring
from app.lib.crypto import field_context, key_version, open_sealed, seal

TABLE = "patients"
# Every sealed column; key rotation re-encrypts exactly these.
TEXT_COLUMNS = ("given_name", "family_name", "preferred_name", "address", "phone")
JSON_COLUMNS = ("identifiers", "emergency_contacts")
DATE_COLUMNS = ("date_of_birth",)
BINARY_COLUMNS = ("photo",)
SEALED_COLUMNS = TEXT_COLUMNS + JSON_COLUMNS + DATE_COLUMNS + BINARY_COLUMNS
MIN_PREFIX = 2


@dataclass
class PatientIdentity:
    """A patient's identity in clear, as the app works with it (never stored like this)."""

    given_name: str
    family_name: str
    preferred_name: str = ""
    date_of_birth: date | None = None
    identifiers: list[dict[str, str]] = field(default_factory=list)  # [{"kind", "value"}]
    address: str = ""
    phone: str = ""
    emergency_contacts: list[dict[str, str]] = field(default_factory=list)
    photo: bytes | None = None

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()


def _to_bytes(column: str, value: Any) -> bytes | None:
    if value in (None, "", [], b""):
        return None
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    if column in DATE_COLUMNS:
        return value.isoformat().encode()
    if column in BINARY_COLUMNS:
        return bytes(value)
    return str(value).encode()


def _from_bytes(column: str, raw: bytes | None) -> Any:
    if column in JSON_COLUMNS:
        return json.loads(raw) if raw else []
    if column in DATE_COLUMNS:
        return date.fromisoformat(raw.decode()) if raw else None
    if column in BINARY_COLUMNS:
        return raw
    return raw.decode() if raw else ""


async def seal_identity(
    db: AsyncSession, keyring: Keyring, patient: Patient, identity: PatientIdentity
) -> None:
    """Write `identity` into `patient`'s columns as ciphertext under the active data key.
    `patient.id` and `tenant_id` must be set first: the ciphertext is bound to them."""
    version, key = await keyring.active(db, patient.tenant_id, DATA)
    for column in SEALED_COLUMNS:
        raw = _to_bytes(column, getattr(identity, column))
        context = field_context(patient.tenant_id, TABLE, column, patient.id)
        setattr(patient, column, seal(key, version, raw, context) if raw is not None else None)
    patient.key_version = version


async def open_identity(
    db: AsyncSession,
    keyring: Keyring,
    patient: Patient,
    columns: tuple[str, ...] = SEALED_COLUMNS,
) -> PatientIdentity:
    """The identity in clear. Only `columns` are read (a list needs the names, not the
    photo); the others keep their empty defaults. Raises DecryptionError for a value that
    was not sealed for this very place."""
    values: dict[str, Any] = {column: _from_bytes(column, None) for column in SEALED_COLUMNS}
    for column in columns:
        sealed = getattr(patient, column)
        raw = None
        if sealed is not None:
            key = await keyring.get(db, patient.tenant_id, DATA, key_version(sealed))
            context = field_context(patient.tenant_id, TABLE, column, patient.id)
            raw = open_sealed(key, sealed, context)
        values[column] = _from_bytes(column, raw)
    return PatientIdentity(**values)


def _normalise(text: str) -> str:
    """Case- and accent-insensitive: "Zoë" and "zoe" index alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(text: str) -> list[str]:
    """The words of a name, split at spaces and punctuation: "O'Brien-Smith" → o, brien, smith."""
    return [w for w in "".join(c if c.isalnum() else " " for c in _normalise(text)).split() if w]


def _joined_words(text: str) -> list[str]:
    """Words written with punctuation inside, also indexed whole: "O'Brien" → obrien, so
    a search typed without the apostrophe finds it too."""
    joined = ("".join(ch for ch in token if ch.isalnum()) for token in _normalise(text).split())
    return [word for word in joined if word]


def compact_identifier(value: str) -> str:
    """An identifier as it is matched: letters and digits only, "943 476 5919" → 9434765919."""
    return "".join(ch for ch in _normalise(value) if ch.isalnum())


def _term(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}|{value}".encode(), hashlib.sha256).digest()


def identity_terms(key: bytes, identity: PatientIdentity) -> set[bytes]:
    """Every term a search may match this patient by."""
    terms: set[bytes] = set()
    for text in (identity.given_name, identity.family_name, identity.preferred_name):
        for word in {*name_words(text), *_joined_words(text)}:
            for end in range(min(MIN_PREFIX, len(word)), len(word) + 1):
                terms.add(_term(key, "name", word[:end]))
    for identifier in identity.identifiers:
        value = compact_identifier(identifier.get("value", ""))
        if value:
            terms.add(_term(key, "id", value))
    return terms


def query_terms(key: bytes, query: str) -> tuple[list[bytes], bytes | None]:
    """(one term per word of a name query, the term of the query as an identifier)."""
    words = sorted({w for w in name_words(query) if len(w) >= MIN_PREFIX})
    compact = compact_identifier(query)
    return [_term(key, "name", w) for w in words], (_term(key, "id", compact) if compact else None)


async def search_key(db: AsyncSession, keyring: Keyring, tenant_id: uuid.UUID) -> bytes:
    # The search key is never rotated with the data key: rotating it means re-indexing.
    _, key = await keyring.active(db, tenant_id, SEARCH)
    return key
