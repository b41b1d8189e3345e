"""Archiving: never a deletion; a confirmation first; restorable; audited."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import grant_access, make_patient, sign_in
from tests.integration.patients.conftest import Team, audit_count


async def test_archiving_asks_for_confirmation_first(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    assert f'href="/patients/{ada.id}/archive"' in page.text
    confirm = await client.get(f"/patients/{ada.id}/archive")
    assert confirm.status_code == 200
    assert "Archive Ada Lovelace?" in confirm.text
    assert f'action="/patients/{ada.id}/archive"' in confirm.text
    assert await audit_count(db_session, team.tenant, "patient.archive") == 0


async def test_an_archived_patient_leaves_the_carers_view_and_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.post(f"/patients/{ada.id}/archive", headers=await csrf_headers(client))
    assert response.status_code == 303
    assert await audit_count(db_session, team.tenant, "patient.archive", patient_id=ada.id) == 1
    page = await client.get(f"/patients/{ada.id}")
    assert "Archived:" in page.text
    assert "Restore from the archive" in page.text
    await sign_in(client, db_session, team.tenant, team.carer)
    assert (await client.get(f"/patients/{ada.id}")).status_code == 404


async def test_a_restored_patient_is_back_for_the_carer(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, archived=True)
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.post(
        f"/patients/{ada.id}/unarchive", headers=await csrf_headers(client)
    )
    assert response.status_code == 303
    assert await audit_count(db_session, team.tenant, "patient.unarchive", patient_id=ada.id) == 1
    await sign_in(client, db_session, team.tenant, team.carer)
    assert (await client.get(f"/patients/{ada.id}")).status_code == 200
