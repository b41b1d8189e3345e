"""Key rotation re-seals note photos too: readable before and after, old key retired."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.db.models import Role
from app.db.models.base import new_id
from app.db.models.care_notes import CareNote, CareNotePhoto
from app.db.tenancy import bind_tenant
from app.domain.care_notes.photos import open_photo, sealed_photo
from app.domain.keys.keyring import Keyring
from app.domain.patients.photos import clean_photo
from app.lib.crypto import MasterKeys, key_version
from tests.conftest import DatabaseUnderTest
from tests.factories import make_patient, make_person, make_tenant
from tests.integration.audit.committed import removed_after
from tests.integration.cli.tend_cli import MASTER, tend
from tests.integration.patients.test_photos import phone_photo


@pytest.fixture
async def committed_care_accounts_removed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async for _ in removed_after(owner_engine):
        yield


async def test_a_note_photo_stays_readable_after_a_new_data_key(
    test_database: DatabaseUnderTest,
    app_engine: AsyncEngine,
    committed_care_accounts_removed: None,
) -> None:
    sessions = async_sessionmaker(app_engine, expire_on_commit=False)
    keyring = Keyring(MasterKeys(MASTER))
    jpeg = clean_photo(phone_photo())
    async with sessions() as db:
        tenant = await make_tenant(db)
        await keyring.create_for_tenant(db, tenant.id)
        carer = await make_person(db, tenant, Role.CARER)
        patient = await make_patient(db, keyring, tenant)
        note = CareNote(
            id=new_id(),
            tenant_id=tenant.id,
            patient_id=patient.id,
            author_id=carer.id,
            updated_by=carer.id,
            category="personal_care",
            body="Photo of the dressing.",
            handover=False,
            version=1,
        )
        db.add(note)
        await db.flush()
        db.add(await sealed_photo(db, keyring, tenant.id, note.id, jpeg))
        await db.commit()

    result = await tend(
        test_database,
        "rotate-keys", "--new-data-key", "--tenant", str(tenant.id),
        "--batch-size", "10", "--settle-seconds", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "data key 2 active" in result.stdout
    assert "retired [1]" in result.stdout

    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        photo = (
            await db.scalars(select(CareNotePhoto).where(CareNotePhoto.note_id == note.id))
        ).one()
        assert (photo.key_version, key_version(photo.content)) == (2, 2)
        # A fresh process, whose keyring has never seen version 1 (it is retired).
        assert await open_photo(db, Keyring(MasterKeys(MASTER)), photo) == jpeg
