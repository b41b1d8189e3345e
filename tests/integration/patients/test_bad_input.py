"""Patients with input no one could mean: refused beside the field or with a 400, never
a server error, and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, PatientAccess
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.lib.day_ranges import access_days
from tests.conftest import csrf_headers
from tests.factories import make_patient, sign_in
from tests.integration.patients.conftest import Team, post_form


async def _count(db: AsyncSession, team: Team, model: type) -> int:
    await bind_tenant(db, team.tenant.id)
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_access_until_9999_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.post(
        f"/patients/{ada.id}/access",
        data={"user_id": str(team.carer.id), "until": "9999-12-31"},
        headers=await csrf_headers(client),
    )
    assert response.status_code == 422
    latest = access_days(datetime.now(UTC).date()).latest
    assert f"to {format_date(latest, format='medium', locale='en')}." in response.text
    assert await _count(db_session, team, PatientAccess) == 0


async def test_a_nul_byte_in_a_patients_name_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    fields = {"given_name": "Ada\x00", "family_name": "Lovelace"}
    response = await post_form(client, "/patients/new", fields)
    assert response.status_code == 400
    assert await _count(db_session, team, Patient) == 0


async def test_a_form_field_that_is_not_utf8_is_a_400(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="given_name"\r\n\r\nAda\xff\r\n'
        b'--b\r\nContent-Disposition: form-data; name="family_name"\r\n\r\nLovelace\r\n'
        b"--b--\r\n"
    )
    headers = {**await csrf_headers(client), "content-type": "multipart/form-data; boundary=b"}
    response = await client.post("/patients/new", content=body, headers=headers)
    assert response.status_code == 400
    assert await _count(db_session, team, Patient) == 0
