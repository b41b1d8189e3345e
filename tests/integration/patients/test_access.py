"""The access panel: admins give carers and observers access, for good or until a day,
and take it away; every change is audited with the patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import PatientAccess, Role
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import grant_access, make_patient, make_person, make_tenant, sign_in
from tests.integration.patients.conftest import Team, audit_count, last_audit


async def _grant(client: httpx.AsyncClient, patient_id: object, **fields: str) -> httpx.Response:
    return await client.post(
        f"/patients/{patient_id}/access", data=fields, headers=await csrf_headers(client)
    )


async def _access_row(session: AsyncSession, team: Team, patient_id: object) -> list[PatientAccess]:
    await bind_tenant(session, team.tenant.id)
    rows = await session.scalars(
        select(PatientAccess).where(PatientAccess.patient_id == patient_id)
    )
    return list(rows.all())


async def test_admin_sees_the_access_panel_with_the_grantable_people(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await make_person(db_session, team.tenant, Role.CARER, name="Gone Carer", status="deactivated")
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    assert "Who can see this patient" in page.text
    assert f'<option value="{team.carer.id}"' in page.text
    assert f'<option value="{team.observer.id}"' in page.text
    assert f'<option value="{team.admin.id}"' not in page.text
    assert "Gone Carer" not in page.text


async def test_granting_access_lets_the_carer_see_the_patient(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await _grant(client, ada.id, user_id=str(team.carer.id))
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{ada.id}?done=granted#access"
    page = await client.get(f"/patients/{ada.id}")
    assert "Cara Carer" in page.text
    assert "No end date" in page.text
    await sign_in(client, db_session, team.tenant, team.carer)
    assert (await client.get(f"/patients/{ada.id}")).status_code == 200


async def test_granting_access_is_audited_with_the_patient(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    await _grant(client, ada.id, user_id=str(team.carer.id))
    assert await audit_count(db_session, team.tenant, "access.grant") == 1
    event = await last_audit(db_session, team.tenant, "access.grant")
    assert event.patient_id == ada.id
    assert event.detail["user_id"] == str(team.carer.id)


async def test_access_until_a_day_lasts_through_that_day(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    until = (datetime.now(UTC) + timedelta(days=7)).date()
    await sign_in(client, db_session, team.tenant, team.admin)
    await _grant(client, ada.id, user_id=str(team.observer.id), until=until.isoformat())
    [access] = await _access_row(db_session, team, ada.id)
    assert access.expires_at == datetime.combine(
        until + timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )
    page = await client.get(f"/patients/{ada.id}")
    assert "Until " in page.text


async def test_htmx_grant_returns_the_refreshed_panel_with_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.post(
        f"/patients/{ada.id}/access",
        data={"user_id": str(team.carer.id)},
        headers={**await csrf_headers(client), "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert '<div id="access"' in response.text
    assert "<html" not in response.text
    assert "Cara Carer" in response.text
    assert "toast" in response.headers["hx-trigger"]


async def test_a_grant_to_someone_outside_the_care_account_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    other = await make_tenant(db_session)
    outsider = await make_person(db_session, other, Role.CARER)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await _grant(client, ada.id, user_id=str(outsider.id))
    assert response.status_code == 422
    assert "Choose a carer or observer of this care account." in response.text
    assert await _access_row(db_session, team, ada.id) == []
    assert await audit_count(db_session, team.tenant, "access.grant") == 0


async def test_a_grant_to_an_admin_or_an_inactive_member_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    gone = await make_person(db_session, team.tenant, Role.CARER, status="deactivated")
    await sign_in(client, db_session, team.tenant, team.admin)
    for person in (team.admin, gone):
        response = await _grant(client, ada.id, user_id=str(person.id))
        assert response.status_code == 422
    assert await _access_row(db_session, team, ada.id) == []


async def test_a_grant_ending_in_the_past_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    response = await _grant(client, ada.id, user_id=str(team.carer.id), until=past)
    assert response.status_code == 422
    assert "Choose a day from today on" in response.text
    assert past in response.text


async def test_revoking_asks_first_then_removes_access_and_audits_it(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.admin)
    confirm = await client.get(f"/patients/{ada.id}/access/{team.carer.id}/revoke")
    assert confirm.status_code == 200
    assert "Remove Cara Carer’s access to Ada Lovelace?" in confirm.text
    assert await _access_row(db_session, team, ada.id) != []
    response = await client.post(
        f"/patients/{ada.id}/access/{team.carer.id}/revoke", headers=await csrf_headers(client)
    )
    assert response.status_code == 303
    assert await _access_row(db_session, team, ada.id) == []
    assert await audit_count(db_session, team.tenant, "access.revoke", patient_id=ada.id) == 1
    await sign_in(client, db_session, team.tenant, team.carer)
    assert (await client.get(f"/patients/{ada.id}")).status_code == 404


async def test_revoking_access_nobody_holds_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    confirm = await client.get(f"/patients/{ada.id}/access/{team.carer.id}/revoke")
    assert confirm.status_code == 303
    response = await client.post(
        f"/patients/{ada.id}/access/{team.carer.id}/revoke", headers=await csrf_headers(client)
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{ada.id}#access"
    assert await audit_count(db_session, team.tenant, "access.revoke") == 0


async def test_revoking_on_a_patient_of_another_care_account_is_404(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await grant_access(db_session, team.tenant, ada, team.carer)
    other = await make_tenant(db_session)
    stranger = await make_person(db_session, other, Role.ADMIN)
    await sign_in(client, db_session, other, stranger)
    response = await client.post(
        f"/patients/{ada.id}/access/{team.carer.id}/revoke", headers=await csrf_headers(client)
    )
    assert response.status_code == 404
    assert len(await _access_row(db_session, team, ada.id)) == 1


async def test_an_expired_grant_is_shown_as_expired(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    past = datetime.now(UTC) - timedelta(days=2)
    await grant_access(db_session, team.tenant, ada, team.carer, expires_at=past)
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    assert "Expired after" in page.text
