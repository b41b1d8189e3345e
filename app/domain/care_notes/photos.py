"""A note's photo in and out of ciphertext, bound to its tenant, table, column and note.

The bytes are cleaned first (app/domain/patients/photos.py: type sniffed, re-encoded,
no EXIF or GPS), then sealed under the care account's active data key.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.care_notes import CareNotePhoto
from app.domain.keys.keyring import DATA, Keyring
from app.lib.crypto import field_context, key_version, open_sealed, seal

TABLE = "care_note_photos"
COLUMN = "content"
# Every sealed column of the table; key rotation re-seals exactly these.
SEALED_COLUMNS = (COLUMN,)


def photo_context(tenant_id: uuid.UUID, note_id: uuid.UUID) -> bytes:
    return field_context(tenant_id, TABLE, COLUMN, note_id)


async def sealed_photo(
    db: AsyncSession, keyring: Keyring, tenant_id: uuid.UUID, note_id: uuid.UUID, jpeg: bytes
) -> CareNotePhoto:
    """A photo row for `note_id`, its cleaned JPEG sealed under the active data key."""
    version, key = await keyring.active(db, tenant_id, DATA)
    content = seal(key, version, jpeg, photo_context(tenant_id, note_id))
    return CareNotePhoto(tenant_id=tenant_id, note_id=note_id, content=content, key_version=version)


async def open_photo(db: AsyncSession, keyring: Keyring, photo: CareNotePhoto) -> bytes:
    """The JPEG in clear; raises DecryptionError for bytes not sealed for this very note."""
    key = await keyring.get(db, photo.tenant_id, DATA, key_version(photo.content))
    return open_sealed(key, photo.content, photo_context(photo.tenant_id, photo.note_id))
